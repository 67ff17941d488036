"""The main window: palette, canvas, inspector and summary around one Editor."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, Qt, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QApplication, QDockWidget, QFileDialog, QMainWindow, QMessageBox

from engine.errors import SproutError
from engine.model.clipboard import PasteError
from gui.canvas.export import export_png, export_svg
from gui.canvas.scene import GraphScene
from gui.canvas.view import GraphView
from gui.editing.actions import EditActions
from gui.editing.code_view import CodeDialog
from gui.editing.editor import Editor
from gui.editing.inspector import Inspector
from gui.editing.palette import Palette
from gui.editing.summary import SummaryPanel
from gui.jobs import Job, describe_plainly
from gui.training import install_training_dock

EXAMPLES = Path(__file__).resolve().parent.parent / "resources" / "examples"
MAX_RECENT = 8


def warm_up_job(_snapshot=None, _options=None, _on_progress=None, _control=None) -> None:
    """A job (``engine.jobs``): import TensorFlow and Keras, so the first run starts sooner."""
    from engine.build.backend import import_keras_quietly

    import_keras_quietly()


class MainWindow(QMainWindow):
    """Sprout's studio window."""

    def __init__(self, editor: Editor | None = None, warm_up: bool = True, parent=None):
        super().__init__(parent)
        self.editor = editor or Editor(parent=self)
        self.ask = self._ask_user  # replaced in tests: (title, text, buttons) -> chosen button
        self.tf_ready = False
        self.scene = GraphScene(self.editor, self)
        self.view = GraphView(self.scene, self)
        self.actions = EditActions(self.editor, self.scene)
        self.setCentralWidget(self.view)

        self.palette = Palette(self.editor.registry)
        self.inspector = Inspector(self.editor)
        self.summary = SummaryPanel(self.editor)
        self.palette_dock = self._dock("Blocks", self.palette, Qt.LeftDockWidgetArea, "palette")
        self.inspector_dock = self._dock("Inspector", self.inspector, Qt.RightDockWidgetArea, "inspector")
        self.summary_dock = self._dock("Summary and diagnostics", self.summary, Qt.BottomDockWidgetArea, "summary")

        self._build_actions()
        self.training_dock = install_training_dock(self)
        self.training_dock.runs_view.export_requested.connect(self.export_model)
        self.view.block_dropped.connect(self._block_dropped)
        self.palette.activated.connect(self._palette_activated)
        self.scene.selectionChanged.connect(self._selection_changed)
        self.scene.message.connect(self._status)
        self.scene.group_toggled.connect(self.actions.toggle_group)
        self.summary.node_chosen.connect(self.focus_node)
        self.editor.modified_changed.connect(self._update_title)
        self.editor.path_changed.connect(lambda _p: self._update_title())
        self.editor.analysis_changed.connect(self._analysis_status)
        self._update_title()
        self.resize(1400, 860)
        self.resizeDocks([self.palette_dock, self.inspector_dock], [230, 330], Qt.Horizontal)
        self.resizeDocks([self.summary_dock], [190], Qt.Vertical)
        self._restore_settings()
        self._warmup: Job | None = None
        if warm_up:
            self._warmup = Job(warm_up_job, name="tf-warmup", describe=describe_plainly, owner=self)
            self._warmup.finished.connect(self._tf_imported)
            self._warmup.failed.connect(self._tf_loaded)
            self._warmup.start()
            self.statusBar().showMessage("Loading TensorFlow in the background… (editing works meanwhile)")

    # -- layout ----------------------------------------------------------------------
    def _dock(self, title, widget, area, name) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _act(self, text, slot, shortcut=None, tip=None) -> QAction:
        act = QAction(text, self)
        if shortcut:
            act.setShortcut(QKeySequence(shortcut))
        if tip:
            act.setStatusTip(tip)
        act.triggered.connect(slot)
        return act

    def _build_actions(self) -> None:
        a = self.actions
        self.act_new = self._act("&New", self.new_project, QKeySequence.New)
        self.act_open = self._act("&Open…", self.open_dialog, QKeySequence.Open)
        self.act_save = self._act("&Save", self.save, QKeySequence.Save)
        self.act_save_as = self._act("Save &As…", self.save_as, QKeySequence.SaveAs)
        self.act_png = self._act("Export canvas as &PNG…", lambda: self.export_canvas("png"))
        self.act_svg = self._act("Export canvas as S&VG…", lambda: self.export_canvas("svg"))
        self.act_quit = self._act("&Quit", self.close, QKeySequence.Quit)
        self.act_undo = self.editor.stack.createUndoAction(self, "&Undo")
        self.act_undo.setShortcut(QKeySequence.Undo)
        self.act_redo = self.editor.stack.createRedoAction(self, "&Redo")
        self.act_redo.setShortcut(QKeySequence.Redo)
        self.act_cut = self._act("Cu&t", a.cut, QKeySequence.Cut)
        self.act_copy = self._act("&Copy", a.copy, QKeySequence.Copy)
        self.act_paste = self._act("&Paste", self.paste, QKeySequence.Paste)
        self.act_duplicate = self._act("D&uplicate", self.duplicate, "Ctrl+D")
        self.act_delete = self._act("&Delete", a.delete_selection, QKeySequence.Delete)
        self.act_delete.setShortcuts([QKeySequence.Delete, QKeySequence("Backspace")])
        self.act_select_all = self._act("Select &All", a.select_all, QKeySequence.SelectAll)
        self.act_zoom_in = self._act("Zoom &In", lambda: self.view.zoom_by(1.25), QKeySequence.ZoomIn)
        self.act_zoom_out = self._act("Zoom &Out", lambda: self.view.zoom_by(0.8), QKeySequence.ZoomOut)
        self.act_fit = self._act("&Fit to View", self.view.fit_all, "Ctrl+0")
        self.act_arrange = self._act("&Arrange", self._arrange, "Ctrl+L", "Lay the graph out left to right")
        self.act_code = self._act("View &Code…", self.view_code, "Ctrl+K", "The Keras code that builds this graph")
        self.act_export = self._act("&Export…", lambda: self.export_model(), "Ctrl+E",
                                    "Export a run or the graph to Keras, TFLite, ONNX...: checked files and a model card")
        self.act_group = self._act("&Group as Unit", lambda: a.group_selection(), "Ctrl+G",
                                   "Collapse the selected blocks into one reusable unit")
        self.act_ungroup = self._act("&Ungroup", a.ungroup_selection, "Ctrl+Shift+G")
        for act in (self.act_cut, self.act_copy, self.act_paste, self.act_duplicate, self.act_delete,
                    self.act_select_all, self.act_group, self.act_ungroup):
            act.setShortcutContext(Qt.WidgetWithChildrenShortcut)
            self.view.addAction(act)

        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addActions([self.act_new, self.act_open])
        self.examples_menu = file_menu.addMenu("Open &Example")
        for path in sorted(EXAMPLES.glob("*.sprout")):
            self.examples_menu.addAction(self._act(path.stem, lambda _=False, p=path: self.open_path(p, template=True)))
        self.recent_menu = file_menu.addMenu("Open &Recent")
        file_menu.addSeparator()
        file_menu.addActions([self.act_save, self.act_save_as])
        file_menu.addSeparator()
        file_menu.addActions([self.act_png, self.act_svg])
        file_menu.addSeparator()
        file_menu.addAction(self.act_quit)
        edit = bar.addMenu("&Edit")
        edit.addActions([self.act_undo, self.act_redo])
        edit.addSeparator()
        edit.addActions([self.act_cut, self.act_copy, self.act_paste, self.act_duplicate, self.act_delete])
        edit.addSeparator()
        edit.addAction(self.act_select_all)
        view = bar.addMenu("&View")
        view.addActions([self.act_zoom_in, self.act_zoom_out, self.act_fit])
        view.addSeparator()
        for dock in (self.palette_dock, self.inspector_dock, self.summary_dock):
            view.addAction(dock.toggleViewAction())
        model = bar.addMenu("&Model")
        model.addActions([self.act_arrange, self.act_code, self.act_export])
        model.addSeparator()
        model.addActions([self.act_group, self.act_ungroup])
        tools = self.addToolBar("Main")
        tools.setObjectName("main_toolbar")
        tools.addActions([self.act_new, self.act_open, self.act_save])
        tools.addSeparator()
        tools.addActions([self.act_undo, self.act_redo])
        tools.addSeparator()
        tools.addActions([self.act_arrange, self.act_fit, self.act_code])
        self._refresh_recent()

    # -- files -----------------------------------------------------------------------
    def new_project(self) -> None:
        if self.maybe_save():
            self.editor.new_project()

    def open_dialog(self) -> None:
        if not self.maybe_save():
            return
        path, _ = QFileDialog.getOpenFileName(self, "Open project", str(self._last_dir()), "Sprout projects (*.sprout)")
        if path:
            self.open_path(path, ask_save=False)

    def open_path(self, path, template: bool = False, ask_save: bool = True) -> bool:
        """Open a project; examples open as untitled copies. Offers autosave recovery."""
        if ask_save and not self.maybe_save():
            return False
        path = Path(path)
        try:
            side = None if template else self.editor.recovery_candidate(path)
            if side is not None:
                choice = self.ask("Recover unsaved changes?",
                                  f"Sprout found unsaved changes to {path.name} from {side.name}. Recover them?",
                                  ("Recover", "Discard"))
                if choice != "Recover":
                    side.unlink(missing_ok=True)
                    side = None
            self.editor.open_project(path, recovered_from=side)
        except SproutError as exc:
            self._error("Cannot open project", str(exc))
            return False
        if template:
            self.editor.project.path = None
            self.editor.path_changed.emit(None)
        else:
            self._add_recent(path)
        self.view.fit_all()
        return True

    def offer_untitled_recovery(self) -> bool:
        """At start-up: offer the autosave of an untitled project, if one was left behind."""
        side = self.editor.recovery_candidate(None)
        if side is None:
            return False
        if self.ask("Recover unsaved work?", "Sprout closed without saving an untitled project. Recover it?",
                    ("Recover", "Discard")) != "Recover":
            side.unlink(missing_ok=True)
            return False
        try:
            self.editor.recover_untitled(side)
        except SproutError as exc:
            self._error("Cannot recover", str(exc))
            return False
        self.view.fit_all()
        return True

    def save(self) -> bool:
        if self.editor.path is None:
            return self.save_as()
        return self._save_to(self.editor.path)

    def save_as(self) -> bool:
        path, _ = QFileDialog.getSaveFileName(self, "Save project", str(self._last_dir() / "untitled.sprout"),
                                              "Sprout projects (*.sprout)")
        if not path:
            return False
        if not path.endswith(".sprout"):
            path += ".sprout"
        return self._save_to(Path(path))

    def _save_to(self, path: Path) -> bool:
        try:
            self.editor.save(path)
        except SproutError as exc:
            self._error("Could not save", str(exc))
            return False
        self._add_recent(path)
        self.statusBar().showMessage(f"Saved {path}", 4000)
        return True

    def maybe_save(self) -> bool:
        """Ask to save unsaved edits; False if the user cancels."""
        if not self.editor.modified:
            return True
        choice = self.ask("Unsaved changes", "Save the changes to this project first?", ("Save", "Discard", "Cancel"))
        if choice == "Save":
            return self.save()
        if choice == "Discard":
            self.editor.discard_autosave()
            return True
        return False

    def export_canvas(self, kind: str, path: str | None = None) -> Path | None:
        if path is None:
            path, _ = QFileDialog.getSaveFileName(self, f"Export canvas as {kind.upper()}",
                                                  str(self._last_dir() / f"graph.{kind}"), f"{kind.upper()} (*.{kind})")
            if not path:
                return None
        try:
            return (export_png if kind == "png" else export_svg)(self.scene, path)
        except OSError as exc:
            self._error("Export failed", str(exc))
            return None

    # -- model -----------------------------------------------------------------------
    def view_code(self) -> CodeDialog:
        from engine.build.backend import import_keras_quietly
        from engine.build.codegen import keras_code

        QApplication.setOverrideCursor(Qt.WaitCursor)
        try:
            import_keras_quietly()
            try:
                code = keras_code(self.editor.doc)
            except SproutError as exc:
                code = f"# The graph cannot be turned into code yet:\n# {exc}\n"
        finally:
            QApplication.restoreOverrideCursor()
        dialog = CodeDialog(code, self)
        dialog.show()
        return dialog

    @Slot(str)
    def export_model(self, run_id: str | None = None):
        """Model > Export… (or a run's Export… button): the export dialog, ``run_id`` preselected."""
        from gui.export import open_export_dialog

        self.export_dialog = open_export_dialog(self, run_id)
        return self.export_dialog

    @Slot()
    def paste(self) -> list[str]:
        """Paste the clipboard; a payload a project file could not hold is one error line."""
        uids = self._pasting(self.actions.paste)
        if uids == []:
            self._status("Nothing to paste: the clipboard holds no Sprout blocks")
        return uids or []

    @Slot()
    def duplicate(self) -> list[str]:
        """Duplicate the selection (a paste of its copy: the same checks apply)."""
        return self._pasting(self.actions.duplicate) or []

    def _pasting(self, action) -> list[str] | None:
        """Run a paste-like action; None after reporting a refused payload (nothing changed)."""
        try:
            return action()
        except PasteError as exc:
            self._error("Cannot paste", str(exc))
            return None

    def focus_node(self, uid: str) -> None:
        """Select a node and scroll it into view (from the diagnostics list)."""
        if uid in self.scene.nodes:
            self.scene.select_uids([uid])
            self.view.centerOn(self.scene.nodes[uid])

    # -- slots -----------------------------------------------------------------------
    @Slot(str, object)
    def _block_dropped(self, block: str, pos) -> None:
        self.actions.add_block(block, pos)

    @Slot(str)
    def _palette_activated(self, block: str) -> None:
        self.actions.add_block(block, self.view.mapToScene(self.view.viewport().rect().center()))

    @Slot()
    def _arrange(self) -> None:
        self.actions.arrange()
        self.view.fit_all()

    @Slot()
    def _selection_changed(self) -> None:
        groups = self.scene.selected_groups()
        if len(groups) == 1 and len(self.scene.selectedItems()) == 1:
            self.inspector.show_group(groups[0], self.actions.rename_group)
            return
        uids = self.scene.selected_uids()
        self.inspector.show_node(uids[0] if len(uids) == 1 else None)

    @Slot(str)
    def _status(self, text: str) -> None:
        self.statusBar().showMessage(text, 6000)

    @Slot(object)
    def _analysis_status(self, analysis) -> None:
        errors = len(analysis.errors)
        t = analysis.totals()
        self._status(f"{len(self.editor.doc.nodes)} blocks · {t['params']:,} parameters · "
                     + (f"{errors} error{'s' if errors != 1 else ''}" if errors else "no errors"))

    @Slot(object)
    def _tf_imported(self, _result) -> None:
        self._tf_loaded("")

    @Slot(str)
    def _tf_loaded(self, error: str) -> None:
        self.tf_ready = not error
        self.statusBar().showMessage("TensorFlow ready" if not error else f"TensorFlow failed to load: {error}", 5000)

    def _update_title(self, *_args) -> None:
        name = self.editor.path.name if self.editor.path else "untitled"
        self.setWindowTitle(f"{name}[*] — Sprout")
        self.setWindowModified(self.editor.modified)

    # -- settings and closing --------------------------------------------------------
    def _settings(self) -> QSettings:
        return QSettings()

    def _restore_settings(self) -> None:
        s = self._settings()
        geometry, state = s.value("window/geometry"), s.value("window/state")
        if geometry is not None:
            self.restoreGeometry(geometry)
        if state is not None:
            self.restoreState(state)

    def _recent(self) -> list[str]:
        value = self._settings().value("files/recent", [])
        return [value] if isinstance(value, str) else list(value or [])

    def _add_recent(self, path: Path) -> None:
        items = [str(Path(path).resolve())] + [p for p in self._recent() if p != str(Path(path).resolve())]
        self._settings().setValue("files/recent", items[:MAX_RECENT])
        self._refresh_recent()

    def _refresh_recent(self) -> None:
        self.recent_menu.clear()
        for p in self._recent():
            self.recent_menu.addAction(self._act(p, lambda _=False, path=p: self.open_path(path)))
        self.recent_menu.setEnabled(bool(self._recent()))

    def _last_dir(self) -> Path:
        recent = self._recent()
        return Path(recent[0]).parent if recent else Path.home()

    def closeEvent(self, event) -> None:
        if not self.training_dock.confirm_close():  # first: a stopped run joins the project before the save prompt
            event.ignore()
            return
        if not self.maybe_save():
            event.ignore()
            return
        s = self._settings()
        s.setValue("window/geometry", self.saveGeometry())
        s.setValue("window/state", self.saveState())
        self.editor.discard_autosave()
        event.accept()

    # -- dialogs ---------------------------------------------------------------------
    def _ask_user(self, title: str, text: str, buttons: tuple[str, ...]) -> str:
        """The real ``ask``: a modal box; one button only means a report, not a question."""
        icon = QMessageBox.Warning if len(buttons) == 1 else QMessageBox.Question
        box = QMessageBox(icon, title, text, parent=self)
        made = {box.addButton(b, QMessageBox.AcceptRole if i == 0 else
                              (QMessageBox.RejectRole if b == "Cancel" else QMessageBox.DestructiveRole)): b
                for i, b in enumerate(buttons)}
        box.exec()
        return made.get(box.clickedButton(), buttons[-1])

    def _error(self, title: str, text: str) -> None:
        """Report an error in the status bar and in a dialog.

        The dialog goes through ``self.ask`` (one "OK" button), the one hook tests script:
        deciding here whether ``ask`` was replaced cannot work (every attribute access
        makes a new bound method, so an ``is`` test against it is always False).
        """
        self.statusBar().showMessage(text, 8000)
        self.ask(title, text, ("OK",))
