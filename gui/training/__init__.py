"""Training in the studio: setup form, live curves, run control, runs and results.

``install_training_dock(window)`` adds it all to a MainWindow; the window's
``closeEvent`` should call ``confirm_close()`` on the returned dock first. The dock
(``dock.py``) is the view; its ``controller`` (``controller.py``) runs the runs.
"""
from __future__ import annotations

from PySide6.QtCore import Qt

from gui.training.controller import TrainingController
from gui.training.dock import TrainingDock


def install_training_dock(window) -> TrainingDock:
    """Create the training docks, tab them beside Summary and Inspector, and add a Train menu.

    Idempotent: a window that already has its dock (``window.training_dock``) gets it back.
    """
    existing = getattr(window, "training_dock", None)
    if isinstance(existing, TrainingDock):
        return existing
    dock = TrainingDock(window)
    window.addDockWidget(Qt.BottomDockWidgetArea, dock)
    window.addDockWidget(Qt.RightDockWidgetArea, dock.setup_dock)
    if getattr(window, "summary_dock", None) is not None:
        window.tabifyDockWidget(window.summary_dock, dock)
    if getattr(window, "inspector_dock", None) is not None:
        window.tabifyDockWidget(window.inspector_dock, dock.setup_dock)
    menu = window.menuBar().addMenu("T&rain")
    menu.addActions([dock.act_train, dock.act_pause, dock.act_stop])
    menu.addSeparator()
    menu.addAction(dock.toggleViewAction())
    menu.addAction(dock.setup_dock.toggleViewAction())
    window.training_menu = menu
    window.training_dock = dock
    return dock


__all__ = ["TrainingController", "TrainingDock", "install_training_dock"]
