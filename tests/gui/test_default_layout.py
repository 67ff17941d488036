"""The default layout at 1280x720 and 1400x860: a usable canvas, readable curves, nothing clipped.

Also Reset Layout, and remembered layouts: old or too big for the window, they are not kept.
Screenshots before and after a short training run go to ``tests/artifacts/studio_*.png``.
"""
from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, QSettings, QSize, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication, QDockWidget, QHeaderView, QScrollArea, QWidget

from gui.app import fit_to_screen
from gui.editing.commands import SetProjectFieldCommand
from gui.layout_state import MIN_CANVAS, STATE_VERSION, default_sizes
from tests.conftest import EXAMPLES, ROOT

SIZES = [(1400, 860), (1280, 720)]
ARTIFACTS = ROOT / "tests" / "artifacts"
RUN_MS = 120_000  # the first run in a process also imports TensorFlow
MIN_PLOT = 150


def _settle(qtbot, window, ms: int = 60) -> None:
    qtbot.wait(ms)  # the dock layout applies resizeDocks at its next pass


def _studio(make_window, qtbot, size):
    """The no-argument start at ``size``: the digits_cnn example as an untitled copy, its preview loaded."""
    window = make_window()
    window.resize(*size)
    assert window.open_path(EXAMPLES / "digits_cnn.sprout", template=True)
    setup = window.training_dock.setup
    qtbot.waitUntil(lambda: setup.bars is not None, timeout=60_000)  # the preview's thumbnails and bars are in
    _settle(qtbot, window, 120)
    assert window.size().toTuple() == size
    return window


def _shown(dock: QDockWidget) -> bool:
    """True when the dock is the front tab of its group (and not closed)."""
    return dock.isVisible() and not dock.visibleRegion().isEmpty()


def _clipped(dock: QDockWidget) -> list[str]:
    """Visible widgets narrower than their minimum size hint, and scroll areas scrolling sideways."""
    bad = []
    for w in [dock, *dock.findChildren(QWidget)]:
        if isinstance(w, QHeaderView):
            continue  # a table sizes its headers itself (from their content), not through a layout
        need = w.minimumSizeHint().width()
        if w.isVisible() and need > 0 and w.width() < need:
            bad.append(f"{dock.objectName()}: {type(w).__name__} {w.objectName()!r} {w.width()} < {need}")
    for area in dock.findChildren(QScrollArea):
        if area.isVisible() and area.horizontalScrollBar().isVisible():
            bad.append(f"{dock.objectName()}: {type(area).__name__} scrolls sideways")
    return bad


def _every_dock_page(window, qtbot):
    """Bring every dock tab (and every tab of the training dock) to the front in turn; yields the dock."""
    t = window.training_dock
    for dock in (window.palette_dock, window.inspector_dock, t.setup_dock, window.summary_dock):
        dock.raise_()
        _settle(qtbot, window, 30)
        yield dock
    t.raise_()
    for i in range(t.tabs.count()):
        t.tabs.setCurrentIndex(i)
        _settle(qtbot, window, 30)
        yield t
    t.tabs.setCurrentWidget(t.plots)


def _check_layout(window, qtbot, trained: bool = False) -> None:
    assert window.view.width() >= MIN_CANVAS[0] and window.view.height() >= MIN_CANVAS[1], window.view.size()
    problems = [p for dock in _every_dock_page(window, qtbot) for p in _clipped(dock)]
    for uid in window.editor.doc.nodes:  # every block's editors, the Input's shape row the widest
        window.scene.select_uids([uid])
        _settle(qtbot, window, 20)
        problems += [f"{uid}: {p}" for p in _clipped(window.inspector_dock)]
    window.scene.clearSelection()
    assert problems == []
    assert window.view.width() >= MIN_CANVAS[0]  # a wide block's editors did not squeeze the canvas
    t = window.training_dock
    t.bring_forward()
    _settle(qtbot, window, 30)
    plots = t.plots
    for plot in (plots.loss_plot, plots.acc_plot, plots.lr_plot):
        box = plot.getViewBox().sceneBoundingRect()
        assert box.height() >= MIN_PLOT and box.width() >= MIN_PLOT, (plot.titleLabel.text, box)
        axis = plot.getAxis("left")
        lo, hi = plot.getViewBox().viewRange()[1]
        spacing = axis.tickValues(lo, hi, box.height())[0][0]
        assert spacing / (hi - lo) * box.height() >= 24  # major y labels 24 px apart or more: none pile up
        if plot.legend is not None and plot.legend.isVisible():
            assert box.contains(plot.legend.sceneBoundingRect()), plot.titleLabel.text  # the legend is on show
    if trained:
        t.tabs.setCurrentWidget(t.results)
        _settle(qtbot, window, 60)
        table = t.results.table
        assert table.rowCount() == 10 and table.verticalHeader().length() <= table.viewport().height()  # all rows
        t.tabs.setCurrentWidget(t.plots)
        _settle(qtbot, window, 30)


def _train(window, qtbot, epochs: int = 2) -> None:
    training = {**window.editor.project.training, "epochs": epochs, "batch_size": 64}
    window.editor.stack.push(SetProjectFieldCommand(window.editor.project, "training", training,
                                                    on_change=window.editor.notify_project_changed))
    dock = window.training_dock
    window.summary_dock.raise_()
    dock.act_train.trigger()  # F5
    assert dock.running and _shown(dock)
    qtbot.waitUntil(lambda: not dock.running, timeout=RUN_MS)
    assert dock.last_outcome["stop_reason"] == "completed"
    qtbot.wait(dock.plots._timer.interval() + 50)  # one redraw tick


def _screenshot(window, qtbot, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    _settle(qtbot, window, 60)
    assert window.grab().save(str(ARTIFACTS / name))


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_default_layout_is_usable_before_and_after_training(make_window, qtbot, size):
    window = _studio(make_window, qtbot, size)
    tag = f"{size[0]}x{size[1]}"
    t = window.training_dock
    assert _shown(window.inspector_dock) and _shown(window.summary_dock)  # the first tabs at first sight
    _screenshot(window, qtbot, f"studio_{tag}.png")
    _check_layout(window, qtbot)

    _train(window, qtbot)
    assert "Test accuracy" in t.message.text()
    t.setup_dock.raise_()
    t.tabs.setCurrentWidget(t.plots)
    _screenshot(window, qtbot, f"studio_trained_{tag}.png")
    for page, name in ((t.results, "results"), (t.runs_view, "runs")):
        t.tabs.setCurrentWidget(page)
        _screenshot(window, qtbot, f"studio_trained_{name}_{tag}.png")
    _check_layout(window, qtbot, trained=True)


def _dock_places(window) -> dict:
    return {d.objectName(): (window.dockWidgetArea(d), d.isFloating(), d.isVisible())
            for d in window.findChildren(QDockWidget)}


def _dock_sizes(window) -> dict:
    return {d.objectName(): d.size().toTuple() for d in window.findChildren(QDockWidget)}


@pytest.mark.qt_log_ignore("This plugin does not support raise")  # a floating dock, on the offscreen platform
def test_reset_layout_restores_the_defaults(window, qtbot):
    _settle(qtbot, window)
    places, sizes = _dock_places(window), _dock_sizes(window)
    t = window.training_dock
    assert window.act_reset_layout in window.view_menu.actions()
    t.setup_dock.setFloating(True)
    window.summary_dock.close()
    window.addDockWidget(Qt.LeftDockWidgetArea, window.inspector_dock)
    window.resizeDocks([window.palette_dock], [560], Qt.Horizontal)
    _settle(qtbot, window)
    assert not window.layout_keeper.following and _dock_places(window) != places

    window.act_reset_layout.trigger()
    _settle(qtbot, window, 120)
    assert _dock_places(window) == places and window.layout_keeper.following
    assert t.setup_dock in window.tabifiedDockWidgets(window.inspector_dock)
    assert t in window.tabifiedDockWidgets(window.summary_dock)
    assert _shown(window.inspector_dock) and _shown(window.summary_dock)
    after = _dock_sizes(window)
    for name in ("palette", "inspector", "summary"):
        assert all(abs(a - b) <= 8 for a, b in zip(after[name], sizes[name])), (name, after[name], sizes[name])
    assert window.view.width() >= MIN_CANVAS[0]


def test_remembered_layout_is_kept_when_it_fits_and_fitted_when_it_does_not(make_window, qtbot):
    first = make_window()
    _settle(qtbot, first)
    first.layout_keeper.user_changed()  # as after dragging the separators
    first.resizeDocks([first.palette_dock, first.inspector_dock], [300, 520], Qt.Horizontal)
    _settle(qtbot, first)
    assert first.view.width() >= MIN_CANVAS[0]  # fits at 1400 wide
    first.close()
    QSettings().remove("window/geometry")  # the test screen (800x800) would shrink a restored window

    second = make_window()
    _settle(qtbot, second)
    assert abs(second.palette_dock.width() - 300) <= 8 and not second.layout_keeper.following  # remembered
    second.resize(1280, 720)  # a smaller screen: the remembered docks would leave the canvas ~440 px
    _settle(qtbot, second, 120)
    assert second.view.width() >= MIN_CANVAS[0] and second.view.height() >= MIN_CANVAS[1]


def test_a_layout_saved_by_an_older_version_is_not_restored(make_window, qtbot):
    first = make_window()
    first.addDockWidget(Qt.LeftDockWidgetArea, first.inspector_dock)
    _settle(qtbot, first)
    QSettings().setValue("window/state", first.saveState())  # version 0: a layout from before STATE_VERSION
    assert STATE_VERSION > 0
    second = make_window()
    _settle(qtbot, second)
    assert second.dockWidgetArea(second.inspector_dock) == Qt.RightDockWidgetArea and second.layout_keeper.following


def _drag(window, qtbot, start: QPoint, end: QPoint) -> None:
    """Drag with the left button on the window itself, one event loop pass per step (as a hand would)."""
    def send(kind, pos, buttons):
        QApplication.sendEvent(window, QMouseEvent(kind, QPointF(pos), QPointF(window.mapToGlobal(pos)),
                                                   Qt.LeftButton, buttons, Qt.NoModifier))
        qtbot.wait(10)

    send(QEvent.MouseMove, start, Qt.NoButton)
    send(QEvent.MouseButtonPress, start, Qt.LeftButton)
    for step in (0.25, 0.5, 1.0):
        send(QEvent.MouseMove, start + (end - start) * step, Qt.LeftButton)
    send(QEvent.MouseButtonRelease, end, Qt.NoButton)
    _settle(qtbot, window)


def test_the_default_layout_follows_the_window_until_the_user_drags_a_separator(window, qtbot):
    window.resize(1280, 720)
    _settle(qtbot, window, 120)
    assert abs(window.palette_dock.width() - default_sizes(window)[0]) <= 8
    assert window.view.width() >= MIN_CANVAS[0] and window.layout_keeper.following
    palette = window.palette_dock
    before = palette.width()
    grip = QPoint((palette.geometry().right() + window.view.geometry().left()) // 2, palette.geometry().center().y())
    assert window.childAt(grip) is None  # the separator between Blocks and the canvas
    _drag(window, qtbot, grip, grip + QPoint(60, 0))
    dragged = palette.width()
    assert dragged >= before + 40 and not window.layout_keeper.following
    window.resize(1400, 860)
    _settle(qtbot, window, 120)
    assert palette.width() == dragged  # the user's size stays


def test_a_window_bigger_than_the_screen_opens_maximized(make_window):
    window = make_window()
    window.hide()
    assert not fit_to_screen(window, QSize(1920, 1080)) and not window.isMaximized()
    assert fit_to_screen(window, QSize(1280, 720))
    assert window.windowState() & Qt.WindowMaximized
