"""Export in the studio: Model > Export... and the Runs tab's Export button open one dialog.

``open_export_dialog(window, run_id)`` shows the dialog for the window's project (the run
preselected); the dialog (``dialog.py``) is a view over ``engine.export``, its options
form is ``form.py``, its tables ``tables.py`` and its source entries ``sources.py``.
"""
from __future__ import annotations

from PySide6.QtCore import Qt

from gui.export.dialog import ExportDialog, run_export


def open_export_dialog(window, run_id: str | None = None) -> ExportDialog:
    """Show the export dialog over ``window`` (window-modal); an open one is raised instead.

    Args:
        window: the MainWindow (its ``editor``; its training dock knows where untitled runs live).
        run_id: a run of the project to preselect.
    """
    current = getattr(window, "export_dialog", None)
    if isinstance(current, ExportDialog) and current.isVisible():
        if run_id is not None and not current.running:
            current.select_run(run_id)
        current.raise_()
        current.activateWindow()
        return current
    if isinstance(current, ExportDialog):
        current.deleteLater()  # closed (its job, if any, was waited for): a new one sees the project as it is now
    dock = getattr(window, "training_dock", None)
    untitled_root = (dock.controller.untitled_root if dock is not None
                     else window.editor.autosave_folder.parent / "untitled-runs")
    dialog = ExportDialog(window.editor, untitled_root, run_id, parent=window)
    dialog.setWindowModality(Qt.WindowModal)
    fit_to(dialog, window)
    dialog.show()
    return dialog


def fit_to(dialog: ExportDialog, window) -> None:
    """Size the dialog to sit inside ``window`` (1080x700 at most; it is usable down to 1280x720)."""
    size = window.size()
    dialog.resize(min(1080, max(800, size.width() - 80)), min(700, max(560, size.height() - 40)))


__all__ = ["ExportDialog", "fit_to", "open_export_dialog", "run_export"]
