"""Experiments in the studio: ablations defined from the canvas, run, compared and applied.

``install_experiments_dock(window)`` adds the dock (tabbed with Summary and Training), a
Train menu entry, and the canvas's right-click menu ("Try alternatives...").
"""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMenu

from gui.experiments.dock import ExperimentsDock


def node_menu(window, uid: str) -> QMenu:
    """The right-click menu of node ``uid`` (built fresh each time; tests trigger its actions)."""
    from engine.experiments.alternatives import alternatives

    menu = QMenu(window)
    act = menu.addAction("Try alternatives…")
    act.setEnabled(bool(alternatives(window.editor.doc, uid)))
    act.setStatusTip("Compare this block with the blocks that could stand in for it, over seeds")
    act.triggered.connect(lambda: window.experiments_dock.try_alternatives(uid))
    return menu


def install_experiments_dock(window) -> ExperimentsDock:
    existing = getattr(window, "experiments_dock", None)
    if isinstance(existing, ExperimentsDock):
        return existing
    dock = ExperimentsDock(window)
    window.addDockWidget(Qt.BottomDockWidgetArea, dock)
    training = getattr(window, "training_dock", None)
    if training is not None:
        window.tabifyDockWidget(training, dock)
        training.raise_()
    menu = getattr(window, "training_menu", None)
    if menu is not None:
        menu.addAction(dock.toggleViewAction())
    window.view.node_menu_requested.connect(lambda uid, pos: node_menu(window, uid).exec(pos))
    window.experiments_dock = dock
    return dock


__all__ = ["ExperimentsDock", "install_experiments_dock", "node_menu"]
