"""The compression wizard: fit to budget end to end on the trained digits_cnn, each page grabbed."""
from __future__ import annotations

import json
import shutil

from tests.conftest import EXAMPLES, ROOT


def _project_with_run(example_run, tmp_path):
    run = shutil.copytree(example_run("digits_cnn"), tmp_path / "cnn.runs" / "r1")
    record = json.loads((run / "run.json").read_text())
    record.update(id="r1", folder="cnn.runs/r1", name="Run r1")
    project = json.loads((EXAMPLES / "digits_cnn.sprout").read_text())
    project["runs"] = [record]
    (tmp_path / "cnn.sprout").write_text(json.dumps(project))
    return tmp_path / "cnn.sprout", run


def _grab_pages(wizard, window, qtbot, name):
    shots = ROOT / "tests" / "artifacts"
    shots.mkdir(parents=True, exist_ok=True)
    for w, h in ((1400, 860), (1280, 720)):
        window.resize(w, h)
        wizard.resize(min(1080, w - 80), min(700, h - 40))
        for i in range(wizard.tabs.count()):
            wizard.tabs.setCurrentIndex(i)
            qtbot.wait(50)
            assert wizard.grab().save(str(shots / f"compress_{name}_page{i + 1}_{w}x{h}.png"))


def test_fit_to_budget_end_to_end(make_window, example_run, tmp_path, qtbot):
    from gui.compression import open_compress_wizard

    path, run = _project_with_run(example_run, tmp_path)
    window = make_window()
    assert window.open_path(path, ask_save=False)
    window.show()
    wizard = open_compress_wizard(window, "r1")
    wizard.device_box.setCurrentIndex(wizard.device_box.findData("cortex-m4"))
    assert "Flash (KB, int8): 35.1 of 1024" in wizard.gauges.text()  # 35,914 params x 1 byte
    wizard.flash.setValue(32)
    assert "over budget" in wizard.gauges.text()
    assert wizard.fit()
    qtbot.waitUntil(lambda: not wizard.running, timeout=900_000)
    result = wizard.result
    assert result is not None and result.winner is not None, wizard.verdict.text()
    assert result.winner.row["size_bytes"] <= 32 * 1024 and result.winner.row["accuracy_drop_points"] <= 0.5
    assert wizard.tabs.currentWidget() is wizard.results
    assert wizard.results.table.rowCount() == len(result.attempts)
    chosen = [i for i in range(wizard.results.table.rowCount())
              if wizard.results.table.item(i, 0).text() == result.winner.label]
    from gui.compression.results import FITS

    assert wizard.results.table.item(chosen[0], FITS).text() == "yes"
    assert window.editor.project.extra["compression"]["chosen"] == result.winner.label
    from engine.compress.report import read_children

    assert any(k["label"].startswith("fit: ") and "(chosen)" in k["label"] for k in read_children(run))
    saved = json.loads((run / "compressed" / "fit" / "report.json").read_text())  # the engine's report + plans
    assert saved["winner"] == result.winner.label and len(saved["plans"]) == len(result.attempts)
    assert saved["steps"][-1]["size_bytes"] == result.winner.row["size_bytes"] and saved["baseline"]["accuracy"]
    assert result.attempts[0].label == "int8" and not result.attempts[0].fits  # 44 KB: int8 alone is not enough
    _the_accuracy_shown_is_the_litert_one(wizard, result, run)
    _grab_pages(wizard, window, qtbot, "fit")
    _export_page_opens_the_export_dialog_for_the_device(wizard, qtbot)
    wizard.close()


def _the_accuracy_shown_is_the_litert_one(wizard, result, run):
    import numpy as np

    from engine.export.checks import run_tflite
    from engine.export.job import source_dataset
    from engine.export.source import resolve_source

    data, _prep = source_dataset(resolve_source(run))
    got, _ = run_tflite(open(result.winner.row["file"], "rb").read(), data.x_test)
    accuracy = float(np.mean(np.argmax(got, axis=1) == data.y_test))
    assert accuracy == result.winner.row["accuracy"]  # what the search measured is what LiteRT gives
    row = next(i for i in range(wizard.results.table.rowCount())
               if wizard.results.table.item(i, 0).text() == result.winner.label)
    headers = [wizard.results.table.horizontalHeaderItem(c).text() for c in range(wizard.results.table.columnCount())]
    shown = wizard.results.table.item(row, headers.index("Accuracy (LiteRT)")).text()
    assert shown == f"{100 * accuracy:.2f}%", (shown, accuracy)


def _export_page_opens_the_export_dialog_for_the_device(wizard, qtbot):
    """Cortex-M4: TFLite int8 and a C header ticked, the chosen model as the source; every file checked."""
    page = wizard.export_page
    assert page.button.isEnabled() and "Cortex-M4" in page.summary.text()
    dialog = page.open_dialog()
    assert dialog.choice().label.startswith("Compressed: ")
    ticked = {n for n, b in dialog.form.format_boxes.items() if b.isChecked()}
    variants = {v for v, b in dialog.form.variant_boxes.items() if b.isChecked()}
    assert ticked == {"tflite", "c"} and variants == {"int8"}
    qtbot.wait(50)
    shots = ROOT / "tests" / "artifacts"
    assert dialog.grab().save(str(shots / "compress_fit_export_dialog.png"))
    assert dialog.start_export()
    qtbot.waitUntil(lambda: not dialog.running, timeout=300_000)
    assert dialog.result is not None and dialog.result.ok, dialog.result
    assert {a.format for a in dialog.result.artifacts} == {"tflite", "c"}
    assert (dialog.result.out_dir / "model_card.md").is_file() or (dialog.result.out_dir / "model_card.json").is_file()
    dialog.close()


def test_an_impossible_budget_says_what_binds(make_window, example_run, tmp_path, qtbot, monkeypatch):
    from engine.compress import fit
    from gui.compression import open_compress_wizard

    real = fit.fit_budget_job
    monkeypatch.setattr(fit, "fit_budget_job", lambda *a, **k: real(*a, **{**k, "max_plans": 1}))
    path, _ = _project_with_run(example_run, tmp_path)
    window = make_window()
    assert window.open_path(path, ask_save=False)
    wizard = open_compress_wizard(window, "r1")
    _by_hand_checks_a_plan_and_previews_its_size(wizard)
    wizard.flash.setValue(2)
    assert wizard.fit()
    qtbot.waitUntil(lambda: not wizard.running, timeout=600_000)
    assert wizard.result.winner is None and "flash is the binding line" in wizard.verdict.text()
    wizard.close()


def _by_hand_checks_a_plan_and_previews_its_size(wizard):
    wizard.plan_edit.setPlainText(json.dumps({"steps": [{"method": "prune", "sparsity": 0.5, "structured": True},
                                                        {"method": "quantize", "mode": "int8"}]}))
    assert wizard.check_plan() is not None
    assert "Plan OK: prune, quantize" in wizard.plan_note.text()
    assert "Expected: about 15.3 KB of TFLite (int8), 12,697 parameters" in wizard.plan_note.text()
    wizard.plan_edit.setPlainText(json.dumps({"steps": [{"method": "prune", "sparsity": 1.5}]}))
    assert wizard.check_plan() is None
    assert "Expected 0 < sparsity < 1. Received: sparsity=1.5" in wizard.plan_note.text()


def test_closing_during_a_search_stops_it_and_keeps_the_finished_plans(make_window, example_run, tmp_path, qtbot):
    from gui.compression import open_compress_wizard

    path, run = _project_with_run(example_run, tmp_path)
    window = make_window()
    assert window.open_path(path, ask_save=False)
    wizard = open_compress_wizard(window, "r1")
    wizard.flash.setValue(32)
    assert wizard.fit()
    def plan_2_started():
        return any(wizard.log.item(i).text().startswith("plan 2: ") for i in range(wizard.log.count()))
    qtbot.waitUntil(plan_2_started, timeout=300_000)  # plan 1 measured and kept, plan 2 running
    wizard.close()  # stops the search and waits for it
    assert not wizard.running
    saved = json.loads((run / "compressed" / "fit" / "report.json").read_text())
    assert saved["stopped"] is True and [p["label"] for p in saved["plans"]] == ["int8"]
    assert (run / "compressed" / "fit" / "plan01" / "01-quantize" / "model.keras").is_file()
