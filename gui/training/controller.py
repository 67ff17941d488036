"""The training controller: run lifecycle and the project's run list, with no widgets.

It starts a training job (``engine.runs.job.training_job``) on the one GUI worker
(``gui.jobs``) over a snapshot of the project, turns its reports into plain data for the
view, and keeps ``project.runs`` in step with the run folders: a finished run joins the
project, runs are renamed, deleted, and moved next to the project file after a Save As.
Runs change ``project.runs`` directly rather than through the undo stack (a run's folder
exists on disk whatever the stack says), and mark the project modified.
"""
from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Signal, Slot

from engine.errors import SproutError
from engine.jobs import JobControl
from engine.model.project import ProjectSnapshot, dumps
from engine.runs import results as run_results
from engine.runs import store as runs
from gui.jobs import Job
from gui.training.run_state import RunProgress, ending_text, next_run_name, score_label

Ask = Callable[[str, str, tuple[str, ...]], str]


class TrainingController(QObject):
    """Starts, pauses and stops runs, records them in the project, and manages stored runs.

    Args:
        editor: the studio's Editor (project, analysis, undo stack, save).
        ask: ``ask(title, text, buttons) -> chosen button`` for confirmations.
    """

    started = Signal()               # a run began (its epochs are in ``progress``)
    state_changed = Signal()         # running, paused or stopping changed
    batches = Signal(object)         # list of (epoch, batch, batches, loss) tuples, in step order
    epoch_ended = Signal(object)     # one history row
    run_finished = Signal(object)    # the outcome dict (see ``_on_finished``)
    run_failed = Signal(str)
    notice = Signal(str, bool)       # a message for the user; True = an error
    runs_changed = Signal(object)    # project.runs after a change
    run_selected = Signal(str)       # select this run's row
    run_opened = Signal(object, object)  # history rows, ClassResults or None
    project_replaced = Signal()
    run_recorded = Signal(object)    # a run's record, once it is in project.runs

    def __init__(self, editor, ask: Ask, parent=None):
        super().__init__(parent)
        self.editor = editor
        self.ask = ask
        self.untitled_root = editor.autosave_folder.parent / "untitled-runs"
        self.job: Job | None = None
        self.control: JobControl | None = None  # kept after the run: its counters describe it
        self.progress = RunProgress()
        self.last_outcome: dict | None = None
        self._folder: Path | None = None
        self._run_project = None
        self._adopting = False
        editor.document_replaced.connect(self._project_replaced)
        editor.saved.connect(self._saved)  # never on open: opening a project touches nothing on disk

    # -- state -----------------------------------------------------------------------
    @property
    def running(self) -> bool:
        """True from Train until the worker thread has ended."""
        return self.job is not None and self.job.running

    @property
    def paused(self) -> bool:
        return self.running and self.control.paused

    @property
    def stopping(self) -> bool:
        return self.running and self.control.stopped

    def _folder_of(self, record: dict) -> Path | None:
        """A record's run folder, or None when it does not point at one of ours (shown as missing)."""
        return runs.folder_of(record, self.editor.project.path, self.untitled_root)

    def compressed_children(self, records: list) -> dict[str, list]:
        """Run id -> its compressed models (``<run>/compressed``), for the run list."""
        from engine.compress.report import read_children

        return {r["id"]: kids for r in records if isinstance(r, dict) and r.get("id")
                for kids in [read_children(self._folder_of(r))] if kids}

    # -- lifecycle -------------------------------------------------------------------
    def start(self) -> bool:
        """Snapshot the project and train it on a worker thread; False if it cannot start."""
        if self.running:
            return False
        project = self.editor.project
        errors = self.editor.analysis.errors
        if errors:
            self.notice.emit(f"The graph has {len(errors)} error(s); fix them first (see Diagnostics).", True)
            return False
        try:
            from engine.runs.job import RunOptions, training_job
            from engine.train.workflow import plan_run

            plan = plan_run(project)  # bad settings are reported now, not from the thread
            text = dumps(project)
            root = runs.runs_root(project.path, self.untitled_root)
            run_id, folder = runs.new_run_folder(root, [r.get("id") for r in project.runs])
        except (SproutError, OSError, ValueError) as exc:
            self.notice.emit(str(exc), True)
            return False
        base = Path(project.path).parent if project.path else None
        options = RunOptions(run_id, folder, runs.relative_folder(folder, base), next_run_name(project.runs),
                             self.editor.registry)
        self._folder, self._run_project = folder, project
        self.job = Job(training_job, ProjectSnapshot(text, project.path), options, name="sprout-training",
                       needs_keras=True, doing="training", owner=self)
        self.control = self.job.control
        self.job.progress.connect(self._on_progress)
        self.job.milestone.connect(self._on_milestone)
        self.job.finished.connect(self._on_finished)
        self.job.failed.connect(self._on_failed)
        self.job.ended.connect(self._on_ended)
        self.progress = RunProgress(epochs=plan.train_config.epochs)
        self.started.emit()
        self.job.start()
        self.state_changed.emit()
        return True

    def toggle_pause(self) -> None:
        """Pause a running run, or resume a paused one."""
        if not self.running:
            return
        (self.control.resume if self.control.paused else self.control.pause)()
        self.state_changed.emit()

    def stop(self) -> None:
        """End the run after the current batch; its weights are kept."""
        if self.running:
            self.control.stop()
            self.state_changed.emit()

    def confirm_close(self) -> bool:
        """Ask before closing during training; on yes, stop and wait for the worker. False = keep open."""
        if not self.running:
            return True
        choice = self.ask("Training in progress", "A model is training. Stop it and close? The weights so far are kept.",
                          ("Stop and close", "Cancel"))
        if choice != "Stop and close":
            return False
        self.stop_and_wait()
        return True

    def stop_and_wait(self) -> None:
        """Stop and block until the worker thread has ended, recording its run now."""
        if self.running:
            self.job.stop()
            self.job.wait()  # delivers the queued reports, the outcome and the end before returning

    # -- job reports (GUI thread) ----------------------------------------------------
    @Slot(object)
    def _on_progress(self, chunk: list) -> None:
        train = [p for p in chunk if p.stage == "train"]
        tuples = [(p.metrics["epoch"], p.metrics["batch"], p.metrics["batches"], p.metrics.get("loss")) for p in train]
        if not tuples:
            return
        prog = self.progress
        if prog.t_first is None:
            prog.t_first = time.perf_counter()
        prog.steps_done = max(prog.steps_done, train[-1].step)  # a report covers a block of batches
        prog.epoch, prog.batch, prog.batches = tuples[-1][:3]
        prog.steps_total = max(prog.steps_total, prog.batches * prog.epochs)
        self.batches.emit(tuples)

    @Slot(object)
    def _on_milestone(self, p) -> None:
        if p.stage != "epoch":
            return
        self.progress.epochs = p.total
        self.progress.steps_total = p.total * p.metrics["batches"]
        self.epoch_ended.emit({k: v for k, v in p.metrics.items() if k != "batches"})

    @Slot(object)
    def _on_finished(self, outcome) -> None:
        result = outcome.result
        record = outcome.record
        self.last_outcome = {"record": record, "history": list(result.history), "classes": outcome.classes,
                             "stop_reason": result.stop_reason, "message": result.message}
        project = self._run_project
        if project is not None:
            project.runs = [*project.runs, record]
            if project is self.editor.project:
                self._mark_modified()
                self.runs_changed.emit(project.runs)
                self.run_selected.emit(record["id"])
        score = runs.score_of(record)
        detail = f" — {result.message}" if result.message else ""
        acc = f" {score_label(record)} {score:.2%}." if score is not None else ""
        self.run_finished.emit(self.last_outcome)
        self.notice.emit(f"{ending_text(result.stop_reason)}: {record['name']}, {record['epochs_run']} epoch(s)."
                         f"{acc}{detail}{_execution(result)}", result.stop_reason == "nan_loss")
        self.run_recorded.emit(record)

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self.last_outcome = {"message": message, "failed": True}
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)  # a run that never trained leaves nothing
        self.run_failed.emit(message)
        self.notice.emit(message, True)

    @Slot()
    def _on_ended(self) -> None:
        self._run_project = None
        self._folder = None
        self.state_changed.emit()

    # -- runs ------------------------------------------------------------------------
    def _mark_modified(self) -> None:
        self.editor.stack.resetClean()  # the run list changed outside the undo stack

    def record(self, run_id: str) -> dict | None:
        """The open project's record of ``run_id``."""
        return next((r for r in self.editor.project.runs if r.get("id") == run_id), None)

    def open_run(self, run_id: str) -> bool:
        """Show a stored run's curves and results (``run_opened``)."""
        record = self.record(run_id)
        if record is None:
            return False
        if self.running:
            self.notice.emit("A run is in progress; its live curves stay until it ends.", True)
            return False
        folder = self._folder_of(record)
        history = run_results.read_history(folder) if folder is not None else []
        self.run_opened.emit(history, run_results.load_class_results(folder) if folder is not None else None)
        if folder is None:
            note = f" (its folder {record.get('folder')!r} is not a run folder of this project: shown as missing)"
        else:
            note = "" if folder.is_dir() else f" (its folder {folder} is missing)"
        self.notice.emit(f"Showing {record.get('name', run_id)}: {len(history)} epoch(s){note}.", bool(note))
        return True

    def rename_run(self, run_id: str, name: str) -> None:
        """Rename a run (kept in the project)."""
        project = self.editor.project
        new = runs.rename_run(project.runs, run_id, name)
        if new != project.runs:
            project.runs = new
            self._mark_modified()
        self.runs_changed.emit(project.runs)

    def delete_run(self, run_id: str) -> bool:
        """Delete a run and its folder after asking."""
        record = self.record(run_id)
        if record is None:
            return False
        folder = self._folder_of(record)
        what = f"and its folder {folder}" if folder is not None else "(its folder is not ours and stays)"
        if self.ask("Delete run?", f"Delete {record.get('name', run_id)} {what}? "
                    "This cannot be undone.", ("Delete", "Cancel")) != "Delete":
            return False
        project = self.editor.project
        try:
            project.runs = runs.delete_run(project.runs, run_id, project.path, self.untitled_root)
        except OSError as exc:
            self.notice.emit(f"Could not delete {folder}: {exc}", True)
            return False
        self._mark_modified()
        self.runs_changed.emit(project.runs)
        return True

    def overlays(self, run_ids: list) -> list[tuple[str, list[dict]]]:
        """(name, history) of each stored run in ``run_ids``, for the curve overlay."""
        shown = []
        for run_id in run_ids:
            record = self.record(run_id)
            folder = self._folder_of(record) if record is not None else None
            if folder is not None:
                shown.append((record.get("name", run_id), run_results.read_history(folder)))
        return shown

    @Slot()
    def _project_replaced(self) -> None:
        self.project_replaced.emit()

    @Slot(object, object)
    def _saved(self, old_path, path) -> None:
        """After a save under a new name: bring the project's own runs beside it, then save their paths."""
        if self._adopting or path is None or old_path == path:
            return
        project = self.editor.project
        try:
            new, changed = runs.adopt_runs(project.runs, old_path, Path(path), self.untitled_root)
        except OSError as exc:
            self.notice.emit(f"Could not move the runs next to {Path(path).name}: {exc}", True)
            return
        if not changed:
            return
        project.runs = new
        self.runs_changed.emit(new)
        self._adopting = True
        try:
            self.editor.save(path)  # the file must name the runs where they now are
        except SproutError:
            self._mark_modified()
        finally:
            self._adopting = False


def _execution(result) -> str:
    """The end-of-run notice's part on execution: 'Ran 8 batches per call, no XLA (...)'."""
    return f" Ran {result.execution.plain()}." if result.execution is not None else ""
