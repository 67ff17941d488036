"""The training worker: a QObject living on its own QThread, speaking in plain data.

It trains a snapshot of the project (the text of the file, parsed again on the worker
thread), never the live document. Batch reports are gathered and sent at most every
``FLUSH_S`` seconds, always from the worker thread itself: Keras reports batches from
helper threads, and a signal per batch would flood the GUI's event queue.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, QThread, Signal, Slot

from engine.errors import SproutError
from engine.jobs import JobControl

FLUSH_S = 0.2  # 5 reports a second: the curve redraws at 4 Hz anyway, and each report costs GUI-thread time


@dataclass(frozen=True)
class TrainJob:
    """What one run needs, fixed on the GUI thread when Train is pressed."""

    token: int
    project_text: str
    project_path: Path | None
    run_id: str
    folder: Path
    record_folder: str
    name: str | None = None


class TrainWorker(QObject):
    """Runs ``engine.runs.store.execute_run`` on the thread it was moved to."""

    batches = Signal(object)     # list of (epoch, batch, batches, loss) tuples, in step order
    epoch_done = Signal(object)  # {"epoch", "epochs", "batches", "row"}
    finished = Signal(object)    # {"token", "record", "history", "classes", "stop_reason", "message"}
    failed = Signal(object)      # {"token", "message"}

    def __init__(self, job: TrainJob, registry, control: JobControl):
        super().__init__()
        self.job = job
        self.registry = registry
        self.control = control
        self.outcome: dict | None = None  # also kept here for a caller that waits on the thread
        self._buffer: list[tuple] = []
        self._lock = threading.Lock()
        self._last_flush = 0.0

    @Slot()
    def run(self) -> None:
        """Train; always ends by quitting its thread's event loop."""
        try:
            from engine.build.backend import import_keras_quietly
            from engine.model.project import ProjectSnapshot
            from engine.runs.job import RunOptions, training_job

            import_keras_quietly()  # on this thread: the GUI never waits for TensorFlow
            if self.control.stopped:
                self._fail("Stopped before training began.")
                return
            job = self.job
            outcome = training_job(ProjectSnapshot(job.project_text, job.project_path),
                                   RunOptions(job.run_id, job.folder, job.record_folder, job.name, self.registry),
                                   self._progress, self)
            self._flush(force=True)
            self.outcome = {"token": job.token, "record": outcome.record, "history": list(outcome.result.history),
                            "classes": outcome.classes, "stop_reason": outcome.result.stop_reason,
                            "message": outcome.result.message}
            self.finished.emit(self.outcome)
        except SproutError as exc:
            self._fail(str(exc))
        except Exception as exc:  # noqa: BLE001 - thread boundary: reported in the panel, the app stays up
            self._fail(describe_failure(exc))
        finally:
            QThread.currentThread().quit()

    def _fail(self, message: str) -> None:
        self.outcome = {"token": self.job.token, "message": message, "failed": True}
        self.failed.emit(self.outcome)

    # -- called by the trainer -------------------------------------------------------
    def _progress(self, p) -> None:
        m = p.metrics
        if not p.milestone:  # may run on a Keras helper thread: only buffer here
            with self._lock:
                self._buffer.append((m["epoch"], m["batch"], m["batches"], m.get("loss")))
            return
        self._flush(force=True)
        row = {k: v for k, v in m.items() if k != "batches"}
        self.epoch_done.emit({"epoch": p.step - 1, "epochs": p.total, "batches": m["batches"], "row": row})

    def should_stop(self) -> bool:
        # The trainer polls this on the worker thread before every step: a cheap place to flush.
        self._flush(force=self.control.paused)
        return self.control.should_stop()

    def _flush(self, force: bool = False) -> None:
        now = time.perf_counter()
        if not force and now - self._last_flush < FLUSH_S:
            return
        with self._lock:
            chunk, self._buffer = self._buffer, []
        self._last_flush = now
        if chunk:
            chunk.sort(key=lambda t: (t[0], t[1]))  # helper threads may report out of order
            self.batches.emit(chunk)


def describe_failure(exc: BaseException) -> str:
    """A one-paragraph reason for an unexpected error, out-of-memory said plainly."""
    name = type(exc).__name__
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    if isinstance(exc, MemoryError) or "ResourceExhausted" in name or "out of memory" in text.lower():
        return (f"Out of memory while training ({name}). Try a smaller batch size or a smaller model. "
                "The project and earlier runs are untouched.")
    return f"Training failed: {name}: {text[:400]}"
