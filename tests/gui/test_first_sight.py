"""First sight in the studio (issue 15, point 8): what comes forward, what is named, what is reset."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QPlainTextEdit

from engine.runs.results import ClassResults
from gui.editing.code_view import CodeDialog
from gui.training.results import EMPTY
from gui.training.run_state import score_label
from gui.training.runs_view import RunsView
from tests.conftest import EXAMPLES


def _shown(dock) -> bool:
    return dock.isVisible() and not dock.visibleRegion().isEmpty()


def _example(window, name: str = "digits_cnn") -> None:
    assert window.open_path(EXAMPLES / f"{name}.sprout", template=True)


def test_selecting_a_block_brings_the_inspector_forward(window, qtbot):
    _example(window)
    setup = window.training_dock.setup_dock
    setup.raise_()
    qtbot.wait(20)
    assert _shown(setup) and not _shown(window.inspector_dock)
    uid = next(iter(window.editor.doc.nodes))
    window.scene.select_uids([uid])
    qtbot.wait(20)
    assert _shown(window.inspector_dock) and window.inspector.uid == uid
    setup.raise_()
    window.scene.clearSelection()  # nothing chosen: the tab the user picked stays
    qtbot.wait(20)
    assert _shown(setup)


def test_f5_brings_the_training_dock_forward_with_the_reason_it_cannot_start(window, qtbot):
    dock = window.training_dock
    assert dock.act_train.shortcut() == QKeySequence("F5") and dock.act_train in window.main_toolbar.actions()
    window.new_project()  # an empty graph: no Input, no Output
    window.summary_dock.raise_()
    dock.tabs.setCurrentWidget(dock.runs_view)
    qtbot.wait(20)
    assert not _shown(dock)
    dock.act_train.trigger()
    qtbot.wait(20)
    assert _shown(dock) and dock.tabs.currentWidget() is dock.plots and not dock.running
    assert dock.message.isVisible() and "fix them first" in dock.message.text()


def test_another_project_starts_with_a_clear_training_status(window, qtbot):
    _example(window)
    dock = window.training_dock
    y_true, y_pred = np.array([0, 1, 1, 0]), np.array([0, 1, 0, 0])
    dock.plots.add_epoch({"epoch": 1, "loss": 0.5, "val_loss": 0.6, "accuracy": 0.8, "val_accuracy": 0.7, "lr": 1e-3})
    dock.controller.run_finished.emit({"classes": ClassResults(y_true, y_pred, ["a", "b"]), "stop_reason": "completed"})
    dock.controller.notice.emit("Training finished: Run 1, 1 epoch(s). Test accuracy 75.00%.", False)
    assert dock.epoch_bar.format() == "Training finished" and dock.results.table.rowCount() == 2
    assert dock.message.isVisible()

    _example(window, "digits_mlp")
    assert dock.epoch_bar.format() == "Ready" and dock.epoch_bar.value() == 0
    assert dock.message.text() == "" and not dock.message.isVisible() and dock.status.text() == ""
    assert dock.plots.history == [] and dock.results.table.rowCount() == 0 and dock.results.summary.text() == EMPTY


def test_the_run_score_is_named_test_accuracy(qtbot):
    test_run = {"id": "r1", "name": "Run 1", "params": 10, "macs": 20, "metrics": {"test": {"accuracy": 0.9815}}}
    val_run = {"id": "r2", "name": "Run 2", "params": 10, "macs": 20, "metrics": {"val": {"accuracy": 0.9}}}
    assert score_label(test_run) == "Test accuracy" and score_label(val_run) == "Validation accuracy"
    view = RunsView()
    qtbot.addWidget(view)
    view.set_runs([test_run, val_run])
    assert view.tree.headerItem().text(4) == "Test accuracy"
    assert view.tree.topLevelItem(0).text(4) == "98.15%" and view.tree.topLevelItem(1).text(4) == "90.00% (val)"
    assert view.scatter_plot.getAxis("left").labelText == "test accuracy"


def test_an_example_opened_untitled_says_which_example_it_is(window, tmp_path):
    _example(window)
    assert "digits_cnn" in window.windowTitle() and window.windowTitle().startswith("untitled")
    assert "digits_cnn example" in window.statusBar().currentMessage()
    window.editor.revalidate()  # the status line after any edit still names it
    assert window.statusBar().currentMessage().startswith("digits_cnn example (untitled copy)")
    assert window._save_to(tmp_path / "mine.sprout")
    assert window.windowTitle().startswith("mine.sprout") and "digits_cnn" not in window.windowTitle()
    _example(window)
    window.new_project()
    assert window.windowTitle().startswith("untitled") and "digits_cnn" not in window.windowTitle()


def test_runs_of_one_size_get_a_readable_cost_axis(qtbot):
    view = RunsView()
    qtbot.addWidget(view)
    view.resize(900, 300)
    view.show()
    runs = [{"id": f"r{i}", "name": f"Run {i}", "params": 35914, "macs": 330_400,
             "metrics": {"test": {"accuracy": acc}}} for i, acc in enumerate((0.95, 0.97, 0.98))]
    view.set_runs(runs)
    qtbot.wait(20)
    lo, hi = view.scatter_plot.getViewBox().viewRange()[0]
    assert lo < 35914 < hi and hi - lo >= 0.1 * 35914  # not 35913.6 ... 35914.4
    axis = view.scatter_plot.getAxis("bottom")
    spacing, values = axis.tickValues(lo, hi, axis.width() or 400)[0]
    labels = axis.tickStrings(values, 1.0, spacing)
    assert labels and all(float(text) == int(float(text)) for text in labels), labels  # whole parameter counts
    view.set_runs(runs[:1] + [{**runs[1], "params": 120_000}])  # two sizes: auto range again
    qtbot.wait(20)
    lo, hi = view.scatter_plot.getViewBox().viewRange()[0]
    assert lo <= 35914 and hi >= 120_000


def test_view_code_does_not_wrap_long_lines(qtbot):
    code = "x = layers.Dense(64, activation='relu')(x)  # a trailing comment long enough to be wrapped " * 3
    dialog = CodeDialog(code)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.wait(20)
    assert dialog.text.lineWrapMode() == QPlainTextEdit.NoWrap
    assert dialog.text.document().blockCount() == 1 and dialog.text.horizontalScrollBar().maximum() > 0
    assert dialog.text.horizontalScrollBarPolicy() != Qt.ScrollBarAlwaysOff
