"""The export dialog, end to end with the real engine: sources, pre-flight, export, stop, results."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt, QUrl
from PySide6.QtGui import QPainter

from engine.export.formats import formats
from engine.export.job import export_job
from engine.export.options import ExportOptions
from engine.export.source import resolve_source
from gui.editing.commands import SetProjectFieldCommand
from gui.export import ExportDialog, fit_to
from gui.export.tables import RED
from gui.jobs import live_jobs
from tests.conftest import EXAMPLES, ROOT

EXPORT_MS = 90_000
TRAIN_MS = 120_000  # the first run in a process also imports TensorFlow
CARD = {"model_card.json", "model_card.md"}


def _rows(table) -> list[list[str]]:
    return [[table.item(r, c).text() for c in range(table.columnCount())] for r in range(table.rowCount())]


def _open(window, name: str) -> ExportDialog:
    assert window.open_path(EXAMPLES / f"{name}.sprout", template=True)
    window.act_export.trigger()  # Model > Export...
    dialog = window.export_dialog
    assert isinstance(dialog, ExportDialog) and dialog.isVisible()
    return dialog


def _finish(qtbot, dialog) -> None:
    qtbot.waitUntil(lambda: not dialog.running, timeout=EXPORT_MS)
    assert dialog.job not in live_jobs()  # other jobs (the data preview of the setup panel) may still run


def _assert_only_whole_files(out: Path, result) -> None:
    """No staging folder or temporary file; every file present is one the export finished."""
    leftovers = [p.name for p in out.iterdir() if p.name.startswith(".")]
    assert leftovers == []
    written = {a.path.name: a.size for a in result.artifacts} if result is not None else {}
    for path in out.iterdir():
        if path.name in CARD:
            json.loads((out / "model_card.json").read_text())  # whole JSON
            continue
        assert path.name in written, path.name
        if path.is_file():
            assert path.stat().st_size == written[path.name]


def test_graph_export_end_to_end_with_results_and_screenshots(make_window, qtbot):
    window = make_window()
    dialog = _open(window, "iris_mlp")
    assert [dialog.source_box.itemText(i) for i in range(dialog.source_box.count())] == [
        "The graph as it is (untrained)"]
    out = window.editor.autosave_folder.parent / "untitled-export"
    assert dialog.out_dir() == out
    titles = {box.text() for box in dialog.form.format_boxes.values()}
    assert titles == {f.title for f in formats().values()}  # built from the registry
    dialog.form.tick(("keras", "tflite", "onnx"), ("float32", "int8"))
    assert dialog.form.variant_group.isEnabled() and dialog.form.opset.isEnabled()
    assert dialog.form.int8_io.isEnabled() and dialog.form.opset.value() == 17
    assert _rows(dialog.preflight_table) == [["every format", "every block", "exported as it is, nothing to note"]]
    plan = _rows(dialog.plan_table)
    assert [r[0] for r in plan] == ["model.keras", "model.tflite", "model_int8.tflite", "model.onnx"]
    assert all(r[3].startswith("about ") and r[3].endswith("KB") for r in plan)
    assert "4 file(s) will be written" in dialog.message.text()

    assert dialog.export_button.isEnabled() and not dialog.stop_button.isEnabled()
    dialog.export_button.click()
    assert dialog.running and dialog.stop_button.isEnabled() and not dialog.form.isEnabled()
    _finish(qtbot, dialog)
    result = dialog.result
    assert result is not None and result.ok, (result and result.errors, dialog.message.text())
    rows = _rows(dialog.results_table)
    assert [r[0] for r in rows] == ["model.keras", "model.tflite", "model_int8.tflite", "model.onnx",
                                    "model_card.json", "model_card.md"]
    for name, size, gzipped, check, said in rows[:4]:
        assert check == "ok" and size.endswith(("KB", "B")) and gzipped.endswith(("KB", "B")) and said
        assert (out / name).is_file()
    assert dialog.results_table.item(0, 3).foreground().color().name() == "#2e7d32"
    assert (out / "model_card.md").read_text().startswith("# Model card: model")
    card = json.loads((out / "model_card.json").read_text())
    assert card["kind"] == "project" and not card["trained"] and len(card["files"]) == 4
    assert "every check passed" in dialog.message.text() and dialog.tabs.currentIndex() == 1
    assert dialog.folder_url() == QUrl.fromLocalFile(str(out.resolve())) and dialog.folder_button.isEnabled()
    assert dialog.export_button.isEnabled() and not dialog.stop_button.isEnabled()
    _assert_only_whole_files(out, result)

    shots = ROOT / "tests" / "artifacts"
    shots.mkdir(parents=True, exist_ok=True)
    for w, h in ((1400, 860), (1280, 720)):
        window.resize(w, h)
        fit_to(dialog, window)
        qtbot.wait(80)
        assert dialog.width() <= w and dialog.height() <= h
        hint = dialog.minimumSizeHint()
        assert hint.width() <= dialog.width() and hint.height() <= dialog.height()  # nothing clipped
        image = window.grab()
        painter = QPainter(image)
        painter.fillRect(image.rect(), Qt.black)
        painter.setOpacity(0.55)
        painter.drawPixmap(0, 0, window.grab())
        painter.setOpacity(1.0)
        painter.drawPixmap(QPoint((w - dialog.width()) // 2, (h - dialog.height()) // 2), dialog.grab())
        painter.end()
        assert image.save(str(shots / f"export_dialog_{w}x{h}.png"))
    dialog.close()


def test_the_preflight_shows_what_happens_to_an_lstm_when_tflite_is_ticked(make_window):
    dialog = _open(make_window(), "seq_digits_lstm")
    dialog.form.tick(("keras",))
    assert not dialog.form.variant_group.isEnabled() and not dialog.form.opset.isEnabled()
    assert not any("unrolled" in r[2] for r in _rows(dialog.preflight_table))
    dialog.form.tick(("keras", "tflite"))
    assert dialog.form.variant_group.isEnabled()
    rows = _rows(dialog.preflight_table)
    assert any(r[0] == formats()["tflite"].title and "LSTM" in r[1] and "unrolled for TFLite" in r[2] for r in rows)
    assert "file(s) will be written" in dialog.message.text() and dialog.export_button.isEnabled()
    dialog.form.tick(())
    assert "no format chosen" in dialog.message.text() and not dialog.export_button.isEnabled()
    dialog.close()


@pytest.mark.qt_log_ignore("This plugin does not support raise")  # the offscreen platform raises no window
def test_a_trained_run_is_exported_from_its_export_button(make_window, qtbot):
    window = make_window()
    assert window.open_path(EXAMPLES / "iris_mlp.sprout", template=True)
    training = {**window.editor.project.training, "epochs": 1}
    window.editor.stack.push(SetProjectFieldCommand(window.editor.project, "training", training,
                                                    on_change=window.editor.notify_project_changed))
    dock = window.training_dock
    assert dock.start()
    qtbot.waitUntil(lambda: not dock.running, timeout=TRAIN_MS)
    record = window.editor.project.runs[-1]
    folder = dock.controller._folder_of(record)
    dock.runs_view.select(record["id"])
    dock.runs_view.export_button.click()  # the Runs tab's Export... button
    dialog = window.export_dialog
    assert dialog.isVisible() and dialog.choice().key == f"run:{record['id']}"
    label = dialog.source_box.currentText()
    assert label.startswith(record["name"]) and "accuracy" in label
    assert dialog.source_box.itemText(dialog.source_box.count() - 1) == "The graph as it is (untrained)"
    assert dialog.out_dir() == folder / "export"
    assert [r[3].startswith("about ") for r in _rows(dialog.plan_table)] == [True, True]  # keras, tflite
    dialog.form.tick(("keras", "tflite"), ("float32", "int8"))
    assert dialog.start_export()
    _finish(qtbot, dialog)
    assert dialog.result.ok, dialog.message.text()
    assert {r[0] for r in _rows(dialog.results_table)} >= {"model.keras", "model.tflite", "model_int8.tflite"}
    card = json.loads((folder / "export" / "model_card.json").read_text())
    assert card["kind"] == "run" and card["trained"] and card["metrics"]
    assert window.export_model(record["id"]) is dialog  # an open dialog is raised, not duplicated
    dialog.close()


@pytest.mark.parametrize("when", ["at once", "after the first file"])
def test_stop_returns_to_idle_and_leaves_only_whole_files(make_window, qtbot, when):
    window = make_window()
    dialog = _open(window, "iris_mlp")
    dialog.form.tick(("keras", "h5", "tflite", "onnx"), ("float32", "float16", "dynamic", "int8"))
    out = dialog.out_dir()
    assert dialog.start_export()
    if when != "at once":
        qtbot.waitUntil(lambda: dialog.progress.value() >= 1 and dialog.progress.maximum() > 1, timeout=EXPORT_MS)
    dialog.stop_button.click()
    assert not dialog.stop_button.isEnabled()
    _finish(qtbot, dialog)
    assert dialog.export_button.isEnabled() and dialog.form.isEnabled() and not dialog.stop_button.isEnabled()
    result = dialog.result
    assert result is not None and result.stopped and len(result.artifacts) < 7
    assert len(result.artifacts) >= (0 if when == "at once" else 1)
    assert dialog.progress.format() == "Stopped" and dialog.message.text().startswith("Stopped")
    if out.exists():
        _assert_only_whole_files(out, result)
    dialog.close()


def test_closing_during_an_export_stops_it_and_waits(make_window, qtbot):
    dialog = _open(make_window(), "iris_mlp")
    dialog.form.tick(("keras", "tflite", "onnx"), ("float32", "int8"))
    assert dialog.start_export() and dialog.running
    dialog.close()
    assert not dialog.running and not dialog.isVisible() and dialog.job not in live_jobs()
    if dialog.out_dir().exists():
        _assert_only_whole_files(dialog.out_dir(), dialog.result)


def test_a_job_error_is_one_line_in_the_dialog(make_window, qtbot, tmp_path):
    dialog = _open(make_window(), "iris_mlp")
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    dialog.out_edit.setText(str(blocker))
    assert dialog.start_export()
    _finish(qtbot, dialog)
    assert "is a file, not a folder" in dialog.message.text() and "\n" not in dialog.message.text()
    assert dialog.progress.format() == "Failed" and dialog.export_button.isEnabled()
    assert blocker.read_text() == "not a folder"
    dialog.close()


def test_a_bare_model_file_refuses_int8_and_what_needs_a_graph(make_window, qtbot, tmp_path):
    made = export_job(resolve_source(EXAMPLES / "iris_mlp.sprout"), ExportOptions(formats=("keras",)), tmp_path / "m")
    model = made.artifacts[0].path
    dialog = _open(make_window(), "iris_mlp")
    dialog.add_model_file(model)
    assert dialog.choice().key == f"model:{model}" and dialog.out_dir() == tmp_path / "m" / "model_export"
    graph_formats = tuple(n for n, f in formats().items() if f.needs_graph)  # e.g. python, when present
    dialog.form.tick(("keras", "tflite", *graph_formats), ("float32", "int8"))
    rows = _rows(dialog.preflight_table)
    refused = [r for r in rows if r[2].startswith("REFUSED")]
    assert any(r[0] == formats()["tflite"].title and "int8" in r[2] for r in refused)
    for name in graph_formats:
        assert any(r[0] == formats()[name].title for r in refused)
    red = [r for r in range(dialog.preflight_table.rowCount())
           if dialog.preflight_table.item(r, 2).text().startswith("REFUSED")]
    assert red and all(dialog.preflight_table.item(r, 0).foreground().color() == RED for r in red)
    plan = {r[0]: r[3] for r in _rows(dialog.plan_table)}
    assert plan["model.tflite"] == plan["model_int8.tflite"] == "refused: not written"
    assert plan["model.keras"] == "–"  # no parameter count for a bare file
    assert "1 file(s) will be written" in dialog.message.text() and "refused" in dialog.message.text()
    assert dialog.start_export()
    _finish(qtbot, dialog)
    out = dialog.out_dir()
    assert [a.path.name for a in dialog.result.artifacts] == ["model.keras"], dialog.message.text()
    assert not list(out.glob("*.tflite")) and (out / "model.keras").is_file()
    _assert_only_whole_files(out, dialog.result)
    dialog.form.tick(("tflite",), ("int8",))
    assert "Every chosen format is refused" in dialog.message.text() and not dialog.export_button.isEnabled()
    dialog.close()
