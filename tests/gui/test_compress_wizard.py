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
    assert "Flash (KB): 35.1 of 1024" in wizard.gauges.text()  # 35,914 params x 1 byte
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
    assert wizard.results.table.item(chosen[0], 6).text() == "yes"
    assert window.editor.project.extra["compression"]["chosen"] == result.winner.label
    from engine.compress.report import read_children

    assert any(k["label"].startswith("fit: ") and "(chosen)" in k["label"] for k in read_children(run))
    _grab_pages(wizard, window, qtbot, "fit")
    wizard.close()


def test_an_impossible_budget_says_what_binds(make_window, example_run, tmp_path, qtbot, monkeypatch):
    from engine.compress import fit
    from gui.compression import open_compress_wizard

    real = fit.fit_budget_job
    monkeypatch.setattr(fit, "fit_budget_job", lambda *a, **k: real(*a, **{**k, "max_plans": 1}))
    path, _ = _project_with_run(example_run, tmp_path)
    window = make_window()
    assert window.open_path(path, ask_save=False)
    wizard = open_compress_wizard(window, "r1")
    wizard.flash.setValue(2)
    assert wizard.fit()
    qtbot.waitUntil(lambda: not wizard.running, timeout=600_000)
    assert wizard.result.winner is None and "flash is the binding line" in wizard.verdict.text()
    wizard.close()
