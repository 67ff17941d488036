"""The editing session: project, undo stack, validation and files. No widgets here."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QStandardPaths, QTimer, Signal, Slot
from PySide6.QtGui import QUndoStack

from blocks.registry import Registry, default_registry
from engine.analysis.data_check import DataInfo, key_of, known_info
from engine.analysis.graph import Analysis, analyze
from engine.model import autosave
from engine.model.document import GraphDocument
from engine.model.project import Project, load_project, save_project

AUTOSAVE_MS = 60_000


def autosave_dir() -> Path:
    """Where untitled projects are autosaved."""
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation) or str(Path.home())
    return Path(base) / "autosave"


class Editor(QObject):
    """Owns the open project; views listen to its signals and push commands on ``stack``."""

    document_replaced = Signal()          # a new GraphDocument: rebuild views
    analysis_changed = Signal(object)     # Analysis after every edit
    modified_changed = Signal(bool)
    path_changed = Signal(object)         # Path or None
    saved = Signal(object, object)        # (old path or None, new path) after a successful save
    project_changed = Signal()            # budget, data or training settings changed

    def __init__(self, registry: Registry | None = None, parent=None, autosave_folder: Path | None = None):
        super().__init__(parent)
        self.registry = registry or default_registry()
        self.stack = QUndoStack(self)
        self.stack.cleanChanged.connect(self._clean_changed)
        self.autosave_folder = autosave_folder or autosave_dir()
        self.project = Project(GraphDocument(self.registry))
        self._data_info: DataInfo | None = None  # the user's data, once read in the background
        self.analysis: Analysis = analyze(self.project.document, self.data_info)
        self._unsubscribe = self.project.document.subscribe(self._on_doc_event)
        self._pending = False
        self._autosave_timer = QTimer(self)
        self._autosave_timer.setInterval(AUTOSAVE_MS)
        self._autosave_timer.timeout.connect(self.autosave_now)
        self._autosave_timer.start()

    # -- properties ------------------------------------------------------------------
    @property
    def doc(self) -> GraphDocument:
        """The live graph document (GUI thread only)."""
        return self.project.document

    @property
    def path(self) -> Path | None:
        """The project's file, or None while untitled."""
        return self.project.path

    @property
    def modified(self) -> bool:
        """True when there are edits not saved."""
        return not self.stack.isClean()

    # -- files -----------------------------------------------------------------------
    def new_project(self) -> None:
        """Start an empty, untitled project."""
        self._replace(Project(GraphDocument(self.registry)))

    def open_project(self, path: str | Path, recovered_from: Path | None = None) -> None:
        """Open ``path`` (or the autosave ``recovered_from`` in its place).

        Raises:
            ProjectFileError: the file cannot be read; the current project stays open.
        """
        project = load_project(recovered_from or path, self.registry)
        project.path = Path(path) if path else None
        self._replace(project)
        if recovered_from is not None:
            self.stack.resetClean()  # recovered edits are unsaved edits
            self.modified_changed.emit(True)

    def recover_untitled(self, side: Path) -> None:
        """Open an untitled project's autosave as an unsaved project."""
        project = load_project(side, self.registry)
        project.path = None
        self._replace(project)
        self.stack.resetClean()
        self.modified_changed.emit(True)

    def save(self, path: str | Path | None = None) -> Path:
        """Save (atomically) to ``path`` or the current file; the old file survives a failure."""
        target = Path(path) if path else self.path
        if target is None:
            raise ValueError("save() needs a path for an untitled project")
        old_path = self.path
        save_project(self.project, target)
        autosave.discard(old_path, self.autosave_folder)
        autosave.discard(target, self.autosave_folder)
        self.stack.setClean()
        self.path_changed.emit(target)
        self.saved.emit(old_path, target)
        return target

    @Slot()
    def autosave_now(self) -> Path | None:
        """Write unsaved edits to the side file; returns its path (None if nothing to save)."""
        if not self.modified:
            return None
        side = autosave.autosave_path(self.path, self.autosave_folder)
        try:
            return autosave.write_autosave(self.project, side)
        except Exception:  # noqa: BLE001 - autosave must never take the editor down
            return None

    def discard_autosave(self) -> None:
        """Forget the side file (after the user declined recovery or closed cleanly)."""
        autosave.discard(self.path, self.autosave_folder)

    def recovery_candidate(self, path: Path | None) -> Path | None:
        """The autosave file newer than ``path`` (or of an untitled project), if any."""
        return autosave.find_recovery(path, self.autosave_folder)

    # -- project-level settings ------------------------------------------------------
    def notify_project_changed(self) -> None:
        """Budget/data/training changed (called by undo commands)."""
        self.project_changed.emit()
        self.revalidate()  # the data may have changed: check the graph against it

    # -- validation ------------------------------------------------------------------
    def revalidate(self) -> Analysis:
        """Re-run shape and cost inference now and tell the views."""
        self._pending = False
        self.analysis = analyze(self.doc, self.data_info)
        self.analysis_changed.emit(self.analysis)
        return self.analysis

    @property
    def data_info(self) -> DataInfo | None:
        """What the graph is checked against: the project's data (None while unknown)."""
        key = key_of(self.project.data)
        if self._data_info is not None and self._data_info.key == key:
            return self._data_info
        return known_info(self.project.data)

    def set_data_info(self, info: DataInfo) -> None:
        """The project's data as read in the background (the data preview); ignored when stale."""
        if info.key == key_of(self.project.data) and info != self._data_info:
            self._data_info = info
            self.revalidate()

    def _on_doc_event(self, event) -> None:
        if event.kind in ("node_moved", "title_changed"):
            return  # cannot change shapes or costs
        if not self._pending:
            self._pending = True
            QTimer.singleShot(0, self._flush)

    @Slot()
    def _flush(self) -> None:
        if self._pending:
            self.revalidate()

    def _replace(self, project: Project) -> None:
        self._unsubscribe()
        self.project = project
        self._unsubscribe = project.document.subscribe(self._on_doc_event)
        self.stack.clear()
        self.analysis = analyze(project.document, self.data_info)
        self.document_replaced.emit()
        self.analysis_changed.emit(self.analysis)
        self.path_changed.emit(project.path)
        self.modified_changed.emit(False)

    @Slot(bool)
    def _clean_changed(self, clean: bool) -> None:
        self.modified_changed.emit(not clean)
