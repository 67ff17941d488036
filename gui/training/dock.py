"""The training dock: Train/Pause/Resume/Stop, live curves, runs and results.

Threading (DESIGN.md section 6): the worker lives on a QThread and reports through
signals connected only to ``@Slot`` methods of this GUI-thread object. Runs change
``project.runs`` directly rather than through the undo stack (a run's folder exists on
disk whatever the stack says), and mark the project modified.
"""
from __future__ import annotations

import shutil
import time
from pathlib import Path

from PySide6.QtCore import Qt, QThread, QTimer, Signal, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from engine.errors import SproutError
from engine.jobs import JobControl
from engine.model.project import dumps
from engine.runs import results as run_results
from engine.runs import store as runs
from gui.training.panel import SetupPanel
from gui.training.plots import TrainingPlots
from gui.training.results import ResultsView
from gui.training.runs_view import RunsView
from gui.training.worker import TrainJob, TrainWorker

ENDINGS = {"completed": "Training finished", "stopped": "Stopped; the weights so far are kept",
           "early_stopping": "Stopped early: no better validation loss", "nan_loss": "Training diverged"}


class TrainingDock(QDockWidget):
    """Bottom dock with the run controls; ``setup_dock`` holds the settings form."""

    run_recorded = Signal(object)  # a run's record, once it is in project.runs

    def __init__(self, window):
        super().__init__("Training", window)
        self.setObjectName("training")
        self.main_window = window
        self.editor = window.editor
        self.untitled_root = self.editor.autosave_folder.parent / "untitled-runs"
        self.control: JobControl | None = None
        self._thread: QThread | None = None
        self._worker: TrainWorker | None = None
        self._job: TrainJob | None = None
        self._run_project = None
        self._token = 0
        self._handled: set[int] = set()
        self._base = self._project_base()
        self._adopting = False
        self.last_outcome: dict | None = None

        self.setup = SetupPanel(self.editor)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.setup)
        self.setup_dock = QDockWidget("Training setup", window)
        self.setup_dock.setObjectName("training_setup")
        self.setup_dock.setWidget(scroll)

        self.act_train = self._action("&Train", self.start, "F5", "Train the model on the project's data")
        self.act_pause = self._action("&Pause", self.toggle_pause, "F6", "Pause or resume between two steps")
        self.act_stop = self._action("&Stop", self.stop, "Shift+F5", "Stop after the current batch, keep weights")
        self.train_button, self.pause_button, self.stop_button = (QPushButton() for _ in range(3))
        for button, act in ((self.train_button, self.act_train), (self.pause_button, self.act_pause),
                            (self.stop_button, self.act_stop)):
            button.clicked.connect(act.trigger)
        self.epoch_bar = QProgressBar()
        self.epoch_bar.setMinimumWidth(260)
        self.epoch_bar.setFormat("Ready")
        self.epoch_bar.setValue(0)
        self.status = QLabel("")
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextSelectableByMouse)
        bar = QHBoxLayout()
        for b in (self.train_button, self.pause_button, self.stop_button):
            bar.addWidget(b)
        bar.addWidget(self.epoch_bar)
        bar.addWidget(self.status, 1)

        self.plots = TrainingPlots()
        self.runs_view = RunsView()
        self.results = ResultsView()
        self.tabs = QTabWidget()
        self.tabs.addTab(self.plots, "Curves")
        self.tabs.addTab(self.runs_view, "Runs")
        self.tabs.addTab(self.results, "Results")
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addLayout(bar)
        layout.addWidget(self.message)
        layout.addWidget(self.tabs, 1)
        self.setWidget(body)

        self.runs_view.opened.connect(self.open_run)
        self.runs_view.renamed.connect(self.rename_run)
        self.runs_view.delete_requested.connect(self.delete_run)
        self.runs_view.overlay_changed.connect(self._overlay_changed)
        self.editor.document_replaced.connect(self._project_replaced)
        self.editor.path_changed.connect(self._path_changed)
        self._eta_timer = QTimer(self)
        self._eta_timer.setInterval(500)
        self._eta_timer.timeout.connect(self._update_status)
        self._steps_done = 0
        self._steps_total = 0
        self._t_first: float | None = None
        self._last_pos = (0, 0, 1, 1)
        self._set_idle()
        self.runs_view.set_runs(self.editor.project.runs)

    def _action(self, text, slot, shortcut, tip) -> QAction:
        act = QAction(text, self)
        act.setShortcut(QKeySequence(shortcut))
        act.setStatusTip(tip)
        act.triggered.connect(slot)
        return act

    # -- state -----------------------------------------------------------------------
    @property
    def running(self) -> bool:
        """True while a worker thread exists (from Train until it has ended)."""
        return self._thread is not None

    def _set_idle(self) -> None:
        self.act_train.setEnabled(True)
        self.act_pause.setEnabled(False)
        self.act_pause.setText("&Pause")
        self.act_stop.setEnabled(False)
        self._sync_buttons()
        self._eta_timer.stop()

    def _sync_buttons(self) -> None:
        for button, act in ((self.train_button, self.act_train), (self.pause_button, self.act_pause),
                            (self.stop_button, self.act_stop)):
            button.setText(act.text().replace("&", ""))
            button.setEnabled(act.isEnabled())

    def _show_message(self, text: str, error: bool = False) -> None:
        self.message.setText(text)
        self.message.setStyleSheet("color: #d32f2f; font-weight: bold;" if error else "color: #2e7d32;")

    def _project_base(self) -> Path | None:
        path = self.editor.project.path
        return Path(path).parent if path else None

    # -- controls --------------------------------------------------------------------
    @Slot()
    def start(self) -> bool:
        """Snapshot the project and train it on a worker thread; False if it cannot start."""
        if self.running:
            return False
        project = self.editor.project
        errors = self.editor.analysis.errors
        if errors:
            self._show_message(f"The graph has {len(errors)} error(s); fix them first (see Diagnostics).", True)
            return False
        try:
            from engine.train.workflow import plan_run

            plan = plan_run(project)  # bad settings are reported now, not from the thread
            text = dumps(project)
            root = runs.runs_root(project.path, self.untitled_root)
            run_id, folder = runs.new_run_folder(root, [r.get("id") for r in project.runs])
        except (SproutError, OSError, ValueError) as exc:
            self._show_message(str(exc), True)
            return False
        base = Path(project.path).parent if project.path else None
        self._token += 1
        self._job = TrainJob(self._token, text, project.path, run_id, folder, runs.relative_folder(folder, base),
                             _next_name(project.runs))
        self._run_project = project
        self.control = JobControl()
        self._thread = QThread()
        self._thread.setObjectName("sprout-training")
        self._worker = TrainWorker(self._job, self.editor.registry, self.control)
        self._worker.moveToThread(self._thread)
        self._thread.started.connect(self._worker.run)
        self._worker.batches.connect(self._on_batches)
        self._worker.epoch_done.connect(self._on_epoch)
        self._worker.finished.connect(self._on_finished)
        self._worker.failed.connect(self._on_failed)
        self._thread.finished.connect(self._on_thread_finished)
        self.plots.reset()
        self.results.show_results(None)
        self._steps_done, self._steps_total, self._t_first = 0, 0, None
        self._last_pos = (0, 0, 1, plan.train_config.epochs)
        self.epoch_bar.setRange(0, 1)
        self.epoch_bar.setValue(0)
        self.epoch_bar.setFormat("Preparing data and model…")
        self._show_message("")
        self.act_train.setEnabled(False)
        self.act_pause.setEnabled(True)
        self.act_stop.setEnabled(True)
        self._sync_buttons()
        self.tabs.setCurrentWidget(self.plots)
        self._eta_timer.start()
        self._thread.start()
        return True

    @Slot()
    def toggle_pause(self) -> None:
        """Pause a running run, or resume a paused one."""
        if self.control is None or not self.running:
            return
        if self.control.paused:
            self.resume()
        else:
            self.pause()

    def pause(self) -> None:
        """Hold training before its next step."""
        if self.control is not None and self.running:
            self.control.pause()
            self.act_pause.setText("&Resume")
            self._sync_buttons()

    def resume(self) -> None:
        """Continue a paused run with its next step."""
        if self.control is not None and self.running:
            self.control.resume()
            self.act_pause.setText("&Pause")
            self._sync_buttons()

    @Slot()
    def stop(self) -> None:
        """End the run after the current batch; its weights are kept."""
        if self.control is not None and self.running:
            self.control.stop()
            self.act_pause.setEnabled(False)
            self.act_stop.setEnabled(False)
            self._sync_buttons()
            self.epoch_bar.setFormat("Stopping after this batch…")

    def confirm_close(self) -> bool:
        """Ask before closing during training; on yes, stop and wait for the worker. False = keep open."""
        if not self.running:
            return True
        choice = self.main_window.ask("Training in progress",
                                      "A model is training. Stop it and close? The weights so far are kept.",
                                      ("Stop and close", "Cancel"))
        if choice != "Stop and close":
            return False
        self.stop_and_wait()
        return True

    def stop_and_wait(self) -> None:
        """Stop and block until the worker thread has ended, recording its run now."""
        if not self.running:
            return
        self.control.stop()
        self._thread.wait()
        outcome = self._worker.outcome
        if outcome is not None:
            (self._on_failed if outcome.get("failed") else self._on_finished)(outcome)
        self._on_thread_finished()

    # -- worker reports (GUI thread) -------------------------------------------------
    @Slot(object)
    def _on_batches(self, chunk: list) -> None:
        if self._t_first is None:
            self._t_first = time.perf_counter()
        self.plots.add_batches(chunk)
        self._steps_done += len(chunk)
        self._last_pos = chunk[-1][:3] + (self._last_pos[3],)
        epoch, batch, batches, total_epochs = self._last_pos
        self._steps_total = max(self._steps_total, batches * total_epochs)
        self.epoch_bar.setRange(0, batches)
        self.epoch_bar.setValue(batch + 1)
        self.epoch_bar.setFormat(f"Epoch {epoch + 1}/{total_epochs} · batch %v/%m")

    @Slot(object)
    def _on_epoch(self, info: dict) -> None:
        self.plots.add_epoch(info["row"])
        self._last_pos = self._last_pos[:3] + (info["epochs"],)
        self._steps_total = info["epochs"] * info["batches"]

    @Slot(object)
    def _on_finished(self, outcome: dict) -> None:
        if outcome["token"] in self._handled:
            return
        self._handled.add(outcome["token"])
        self.last_outcome = outcome
        record = outcome["record"]
        project = self._run_project
        if project is not None:
            project.runs = [*project.runs, record]
            if project is self.editor.project:
                self._mark_modified()
                self.runs_view.set_runs(project.runs)
                self.runs_view.select(record["id"])
        self.results.show_results(outcome["classes"])
        score = runs.score_of(record)
        text = ENDINGS.get(outcome["stop_reason"], outcome["stop_reason"])
        detail = f" — {outcome['message']}" if outcome["message"] else ""
        acc = f" Accuracy {score:.2%}." if score is not None else ""
        self._show_message(f"{text}: {record['name']}, {record['epochs_run']} epoch(s).{acc}{detail}",
                           error=outcome["stop_reason"] == "nan_loss")
        self.epoch_bar.setFormat(text)
        self.run_recorded.emit(record)

    @Slot(object)
    def _on_failed(self, outcome: dict) -> None:
        if outcome["token"] in self._handled:
            return
        self._handled.add(outcome["token"])
        self.last_outcome = outcome
        if self._job is not None and self._job.token == outcome["token"]:
            shutil.rmtree(self._job.folder, ignore_errors=True)  # a run that never trained leaves nothing
        self._show_message(outcome["message"], error=True)
        self.epoch_bar.setFormat("Failed")

    @Slot()
    def _on_thread_finished(self) -> None:
        if self._thread is None:
            return
        self._thread.wait()  # finished is emitted just before the thread really ends
        self._thread = None
        self._worker = None
        self._run_project = None
        self._set_idle()
        self._update_status()

    @Slot()
    def _update_status(self) -> None:
        if not self.running or self.control is None:
            self.status.setText("")
            return
        if self.control.waiting:
            epoch, batch = self._last_pos[0] + 1, self._last_pos[1] + 1
            self.status.setText(f"Paused before the step after epoch {epoch}, batch {batch}")
            return
        if self._t_first is None or not self._steps_done:
            self.status.setText("Loading TensorFlow, data and model…" if self._t_first is None else "")
            return
        spent = time.perf_counter() - self._t_first - self.control.paused_seconds()
        rate = self._steps_done / max(spent, 1e-6)
        left = max(0, self._steps_total - self._steps_done) / max(rate, 1e-6)
        self.status.setText(f"Step {self._steps_done}/{self._steps_total} · {rate:,.0f} steps/s · "
                            f"ETA {int(left // 60)}:{int(left % 60):02d}")

    # -- runs ------------------------------------------------------------------------
    def _mark_modified(self) -> None:
        self.editor.stack.resetClean()  # the run list changed outside the undo stack

    def _record(self, run_id: str) -> dict | None:
        return next((r for r in self.editor.project.runs if r.get("id") == run_id), None)

    @Slot(str)
    def open_run(self, run_id: str) -> bool:
        """Show a stored run's curves and results."""
        record = self._record(run_id)
        if record is None:
            return False
        if self.running:
            self._show_message("A run is in progress; its live curves stay until it ends.", True)
            return False
        folder = runs.folder_of(record, self._base)
        history = run_results.read_history(folder)
        self.plots.set_history(history)
        self.results.show_results(run_results.load_class_results(folder))
        note = "" if folder.is_dir() else f" (its folder {folder} is missing)"
        self._show_message(f"Showing {record.get('name', run_id)}: {len(history)} epoch(s){note}.", error=bool(note))
        self.tabs.setCurrentWidget(self.plots)
        return True

    @Slot(str, str)
    def rename_run(self, run_id: str, name: str) -> None:
        """Rename a run (kept in the project)."""
        project = self.editor.project
        new = runs.rename_run(project.runs, run_id, name)
        if new != project.runs:
            project.runs = new
            self._mark_modified()
        self.runs_view.set_runs(project.runs)

    @Slot(str)
    def delete_run(self, run_id: str) -> bool:
        """Delete a run and its folder after asking."""
        record = self._record(run_id)
        if record is None:
            return False
        folder = runs.folder_of(record, self._base)
        if self.main_window.ask("Delete run?", f"Delete {record.get('name', run_id)} and its folder {folder}? "
                                "This cannot be undone.", ("Delete", "Cancel")) != "Delete":
            return False
        project = self.editor.project
        try:
            project.runs = runs.delete_run(project.runs, run_id, self._base)
        except OSError as exc:
            self._show_message(f"Could not delete {folder}: {exc}", True)
            return False
        self._mark_modified()
        self.runs_view.set_runs(project.runs)
        self._overlay_changed(self.runs_view.overlay_ids())
        return True

    @Slot(list)
    def _overlay_changed(self, ids: list) -> None:
        shown = []
        for run_id in ids:
            record = self._record(run_id)
            if record is not None:
                shown.append((record.get("name", run_id), run_results.read_history(runs.folder_of(record, self._base))))
        self.plots.set_overlays(shown)

    @Slot()
    def _project_replaced(self) -> None:
        self._base = self._project_base()
        self.runs_view.set_runs(self.editor.project.runs)
        self.plots.set_overlays([])
        if not self.running:
            self.plots.reset()
            self.results.show_results(None)
            self._show_message("")

    @Slot(object)
    def _path_changed(self, path) -> None:
        """After a save: bring the project's runs next to its file, then save the moved folders' paths."""
        if path is None or self._adopting:
            return
        project = self.editor.project
        try:
            new, changed = runs.adopt_runs(project.runs, self._base, Path(path))
        except OSError as exc:
            self._show_message(f"Could not move the runs next to {Path(path).name}: {exc}", True)
            return
        self._base = Path(path).parent
        if not changed:
            return
        project.runs = new
        self.runs_view.set_runs(new)
        self._adopting = True
        try:
            self.editor.save(path)  # the file must name the runs where they now are
        except SproutError:
            self._mark_modified()
        finally:
            self._adopting = False


def _next_name(records: list) -> str:
    """"Run N" with N one more than the highest such number so far."""
    numbers = [int(r["name"][4:]) for r in records
               if isinstance(r.get("name"), str) and r["name"].startswith("Run ") and r["name"][4:].isdigit()]
    return f"Run {max(numbers, default=0) + 1}"
