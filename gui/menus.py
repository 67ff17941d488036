"""The main window's actions, menus, toolbar and Open Recent list.

Kept apart from ``main_window.py`` so the window holds behaviour and this holds
arrangement: which action sits in which menu, in what order.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence

from gui.import_model import ModelImporter

EXAMPLES = Path(__file__).resolve().parent.parent / "resources" / "examples"
MAX_RECENT = 8


def build_actions(window) -> None:
    """The window's actions (``window.act_*``), made with ``window._act``; shortcuts on the canvas."""
    w = window
    a = w.actions
    w.act_new = w._act("&New", w.new_project, QKeySequence.New)
    w.act_open = w._act("&Open…", w.open_dialog, QKeySequence.Open)
    w.act_save = w._act("&Save", w.save, QKeySequence.Save)
    w.act_save_as = w._act("Save &As…", w.save_as, QKeySequence.SaveAs)
    w.model_importer = ModelImporter(w)
    w.act_import_model = w._act("&Import Model…", w.model_importer.choose, None,
                                "Open a .keras or .h5 model as an editable graph, with its weights as a run")
    w.act_png = w._act("Export canvas as &PNG…", lambda: w.export_canvas("png"))
    w.act_svg = w._act("Export canvas as S&VG…", lambda: w.export_canvas("svg"))
    w.act_quit = w._act("&Quit", w.close, QKeySequence.Quit)
    w.act_undo = w.editor.stack.createUndoAction(w, "&Undo")
    w.act_undo.setShortcut(QKeySequence.Undo)
    w.act_redo = w.editor.stack.createRedoAction(w, "&Redo")
    w.act_redo.setShortcut(QKeySequence.Redo)
    w.act_cut = w._act("Cu&t", a.cut, QKeySequence.Cut)
    w.act_copy = w._act("&Copy", a.copy, QKeySequence.Copy)
    w.act_paste = w._act("&Paste", w.paste, QKeySequence.Paste)
    w.act_duplicate = w._act("D&uplicate", w.duplicate, "Ctrl+D")
    w.act_delete = w._act("&Delete", a.delete_selection, QKeySequence.Delete)
    w.act_delete.setShortcuts([QKeySequence.Delete, QKeySequence("Backspace")])
    w.act_select_all = w._act("Select &All", a.select_all, QKeySequence.SelectAll)
    w.act_zoom_in = w._act("Zoom &In", lambda: w.view.zoom_by(1.25), QKeySequence.ZoomIn)
    w.act_zoom_out = w._act("Zoom &Out", lambda: w.view.zoom_by(0.8), QKeySequence.ZoomOut)
    w.act_fit = w._act("&Fit to View", w.view.fit_all, "Ctrl+0")
    w.act_arrange = w._act("&Arrange", w._arrange, "Ctrl+L", "Lay the graph out left to right")
    w.act_code = w._act("View &Code…", w.view_code, "Ctrl+K", "The Keras code that builds this graph")
    w.act_compress = w._act("&Compress…", lambda: _compress(w), "Ctrl+Shift+K",
                            "Compress a trained run to fit a device: prune, quantize, distill, factorize, measured")
    w.act_export = w._act("&Export…", lambda: w.export_model(), "Ctrl+E",
                          "Export a run or the graph to Keras, TFLite, ONNX...: checked files and a model card")
    w.act_group = w._act("&Group as Unit", lambda: a.group_selection(), "Ctrl+G",
                         "Collapse the selected blocks into one reusable unit")
    w.act_ungroup = w._act("&Ungroup", a.ungroup_selection, "Ctrl+Shift+G")
    for act in (w.act_cut, w.act_copy, w.act_paste, w.act_duplicate, w.act_delete,
                w.act_select_all, w.act_group, w.act_ungroup):
        act.setShortcutContext(Qt.WidgetWithChildrenShortcut)
        w.view.addAction(act)
    w.act_reset_layout = w._act("&Reset Layout", w.reset_layout, None,
                                "Every panel back in its place, sized for this window")


def build_menus(window) -> None:
    """File, Edit, View and Model menus and the main toolbar (the Train menu comes with its dock)."""
    w = window
    bar = w.menuBar()
    file_menu = bar.addMenu("&File")
    file_menu.addActions([w.act_new, w.act_open])
    w.examples_menu = file_menu.addMenu("Open &Example")
    for path in sorted(EXAMPLES.glob("*.sprout")):
        w.examples_menu.addAction(w._act(path.stem, lambda _=False, p=path: w.open_path(p, template=True)))
    w.recent_menu = file_menu.addMenu("Open &Recent")
    file_menu.addAction(w.act_import_model)
    file_menu.addSeparator()
    file_menu.addActions([w.act_save, w.act_save_as])
    file_menu.addSeparator()
    file_menu.addActions([w.act_png, w.act_svg])
    file_menu.addSeparator()
    file_menu.addAction(w.act_quit)

    edit = bar.addMenu("&Edit")
    edit.addActions([w.act_undo, w.act_redo])
    edit.addSeparator()
    edit.addActions([w.act_cut, w.act_copy, w.act_paste, w.act_duplicate, w.act_delete])
    edit.addSeparator()
    edit.addAction(w.act_select_all)

    w.view_menu = bar.addMenu("&View")
    w.view_menu.addActions([w.act_zoom_in, w.act_zoom_out, w.act_fit])
    w.view_menu.addSeparator()
    for dock in (w.palette_dock, w.inspector_dock, w.summary_dock):
        w.view_menu.addAction(dock.toggleViewAction())

    model = bar.addMenu("&Model")
    model.addActions([w.act_arrange, w.act_code, w.act_compress, w.act_export])
    model.addSeparator()
    model.addActions([w.act_group, w.act_ungroup])

    w.main_toolbar = w.addToolBar("Main")
    w.main_toolbar.setObjectName("main_toolbar")
    w.main_toolbar.addActions([w.act_new, w.act_open, w.act_save])
    w.main_toolbar.addSeparator()
    w.main_toolbar.addActions([w.act_undo, w.act_redo])
    w.main_toolbar.addSeparator()
    w.main_toolbar.addActions([w.act_arrange, w.act_fit, w.act_code])


def add_training_entries(window, dock) -> None:
    """After the training dock exists: its docks in the View menu, Train and Stop on the toolbar, Reset layout."""
    w = window
    connect_run_buttons(w)
    w.view_menu.addAction(dock.toggleViewAction())
    w.view_menu.addAction(dock.setup_dock.toggleViewAction())
    w.view_menu.addSeparator()
    w.view_menu.addAction(w.act_reset_layout)
    w.main_toolbar.addSeparator()
    w.main_toolbar.addActions([dock.act_train, dock.act_stop])


def recent_files(settings) -> list[str]:
    """The remembered recent project paths, newest first."""
    value = settings.value("files/recent", [])
    return [value] if isinstance(value, str) else list(value or [])


def add_recent(window, path) -> None:
    """Put ``path`` first in Open Recent."""
    path = str(Path(path).resolve())
    items = [path] + [p for p in recent_files(window._settings()) if p != path]
    window._settings().setValue("files/recent", items[:MAX_RECENT])
    refresh_recent(window)


def refresh_recent(window) -> None:
    """Rebuild the Open Recent menu from the settings."""
    items = recent_files(window._settings())
    window.recent_menu.clear()
    for p in items:
        window.recent_menu.addAction(window._act(p, lambda _=False, path=p: window.open_path(path)))
    window.recent_menu.setEnabled(bool(items))


def _compress(window, run_id=None):
    """Model > Compress… (or a run's Compress… button): the compression wizard."""
    from gui.compression import open_compress_wizard

    return open_compress_wizard(window, run_id)


def connect_run_buttons(window) -> None:
    """The Runs tab's Export… and Compress… buttons open their dialogs on the selected run."""
    runs_view = window.training_dock.runs_view
    runs_view.export_requested.connect(window.export_model)
    runs_view.compress_requested.connect(lambda run_id: _compress(window, run_id))
