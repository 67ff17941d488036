"""File > Import Model…: a ``.keras``/``.h5`` file becomes a project (with a run of its weights) and opens.

The window stays thin: this asks for the model file and the new project's name, runs
``engine.build.import_job.import_job`` on the one GUI worker (``gui.jobs``) and opens the
project when the job has written it. Mapping notes and kept layers go to the status bar.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Slot
from PySide6.QtWidgets import QFileDialog

from gui.jobs import Job

MODEL_FILTER = "Keras models (*.keras *.h5 *.hdf5)"


def free_project_path(model: Path) -> Path:
    """``<model stem>.sprout`` beside the model, numbered when that name is taken."""
    model = Path(model)
    candidate = model.with_suffix(".sprout")
    n = 2
    while candidate.exists() or candidate.with_suffix(".runs").exists():
        candidate = model.with_name(f"{model.stem}-{n}.sprout")
        n += 1
    return candidate


class ModelImporter(QObject):
    """Runs one import at a time for a main window and opens what it made."""

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.job: Job | None = None
        self.result = None
        self.error: str | None = None
        self.message = ""  # the last import's one-line summary (also shown in the status bar)

    @Slot()
    def choose(self) -> None:
        """Ask for a model file, then for the project to create; start the import."""
        w = self.window
        if not w.maybe_save():
            return
        path, _ = QFileDialog.getOpenFileName(w, "Import model", str(w._last_dir()), MODEL_FILTER)
        if not path:
            return
        out, _ = QFileDialog.getSaveFileName(w, "Save the imported project as", str(free_project_path(Path(path))),
                                             "Sprout projects (*.sprout)")
        if out:
            self.start(Path(path), Path(out) if out.endswith(".sprout") else Path(out + ".sprout"))

    def start(self, model: Path, out: Path, partial: bool = True) -> Job:
        """Import ``model`` into the new project ``out`` on the worker.

        The studio imports partially: a layer without a block becomes a read-only Keras
        layer node (named in the status bar) rather than a refusal.
        """
        from engine.build.import_job import ImportOptions, import_job

        self.result, self.error = None, None
        self.job = Job(import_job, str(model), ImportOptions(out, partial=partial), name="sprout-import",
                       needs_keras=True, doing=f"importing {model.name}", owner=self.window)
        self.job.finished.connect(self._finished)
        self.job.failed.connect(self._failed)
        self.window.statusBar().showMessage(f"Importing {model.name}…")
        return self.job.start()

    @Slot(object)
    def _finished(self, result) -> None:
        self.result = result
        self.window.open_path(result.project_path, ask_save=False)
        kept = ", ".join(f"{c} ({n})" for c, n in sorted(result.opaque.items()))
        text = f"Imported {len(result.rows)} layers with their weights (run {result.run_folder.name})"
        self.message = text + (f"; kept as Keras layer nodes: {kept}" if kept else "")
        self.window.statusBar().showMessage(self.message, 15000)

    @Slot(str)
    def _failed(self, message: str) -> None:
        self.error = message
        self.window.statusBar().clearMessage()
        self.window._error("Cannot import the model", message)
