"""Compression in the studio: Model > Compress... and the Runs tab open one wizard.

``open_compress_wizard(window, run_id)`` shows it for the window's project; the wizard
(``wizard.py``) is a view over ``engine.compress`` (fit to budget, a plan by hand) and
its results view (``results.py``) draws the plans tried against the budget.
"""
from __future__ import annotations

from PySide6.QtCore import Qt

from gui.compression.wizard import CompressWizard


def open_compress_wizard(window, run_id: str | None = None) -> CompressWizard:
    """Show the wizard over ``window`` (window-modal); an open one is raised instead."""
    current = getattr(window, "compress_wizard", None)
    if isinstance(current, CompressWizard) and current.isVisible():
        current.raise_()
        return current
    dock = getattr(window, "training_dock", None)
    untitled_root = (dock.controller.untitled_root if dock is not None
                     else window.editor.autosave_folder.parent / "untitled-runs")
    wizard = CompressWizard(window.editor, untitled_root, run_id, parent=window)
    wizard.setWindowModality(Qt.WindowModal)
    size = window.size()
    wizard.resize(min(1080, max(800, size.width() - 80)), min(700, max(560, size.height() - 40)))
    wizard.show()
    window.compress_wizard = wizard
    return wizard


__all__ = ["CompressWizard", "open_compress_wizard"]
