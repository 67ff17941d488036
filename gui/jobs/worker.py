"""The thread side of a job: a QObject moved to a QThread that runs one engine job.

It speaks in plain data only. Frequent reports are gathered and emitted at most every
``FLUSH_S`` seconds, always from the worker thread itself: Keras reports batches from
helper threads, and a signal per batch would flood the GUI's event queue. Milestones
flush the buffer and go out at once, so they never overtake the steps before them.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal, Slot

from engine.errors import SproutError
from engine.jobs import JobControl, Progress

FLUSH_S = 0.2  # 5 reports a second: the curve redraws at 5 Hz anyway, and each report costs GUI-thread time

JobFn = Callable[[Any, Any, Callable[[Progress], None], Any], Any]
Describe = Callable[[BaseException], str]


def describe_failure(exc: BaseException, doing: str = "training") -> str:
    """A one-paragraph reason for an unexpected error, out-of-memory said plainly.

    Args:
        exc: the error the job raised.
        doing: what the job was doing, as in "while training".

    Returns:
        One line for the user.
    """
    name = type(exc).__name__
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    if isinstance(exc, MemoryError) or "ResourceExhausted" in name or "out of memory" in text.lower():
        return (f"Out of memory while {doing} ({name}). Try a smaller batch size or a smaller model. "
                "The project and earlier runs are untouched.")
    return f"{doing[:1].upper()}{doing[1:]} failed: {name}: {text[:400]}"


def describe_plainly(exc: BaseException) -> str:
    """``Name: message``: for short background work whose errors are shown in place."""
    return f"{type(exc).__name__}: {exc}"


class _FlushingControl:
    """The control a job sees: the real one, plus a flush of the buffer at every poll.

    Jobs poll ``should_stop()`` on their own thread before every step, which makes it
    the cheap, regular place to send buffered reports from the right thread.
    """

    def __init__(self, worker: JobWorker):
        self._worker = worker
        self._control = worker.control

    def should_stop(self) -> bool:
        self._worker.flush(force=self._control.paused)  # paused: show the last step before waiting
        return self._control.should_stop()

    def wait_if_paused(self) -> None:
        self._worker.flush(force=self._control.paused)
        self._control.wait_if_paused()

    def __getattr__(self, name: str):
        return getattr(self._control, name)  # paused, stopped, waiting, polls... as the real control


class JobWorker(QObject):
    """Runs ``fn(snapshot, options, on_progress, control)`` on the thread it was moved to."""

    progress = Signal(object)   # list of Progress, in step order
    milestone = Signal(object)  # one Progress
    finished = Signal(object)   # the job's result
    failed = Signal(str)        # one line for the user

    def __init__(self, fn: JobFn, snapshot: Any, options: Any, control: JobControl, *, needs_keras: bool = False,
                 doing: str = "the job", describe: Describe | None = None):
        super().__init__()
        self.fn, self.snapshot, self.options, self.control = fn, snapshot, options, control
        self.needs_keras = needs_keras
        self.doing = doing
        self.describe = describe or (lambda exc: describe_failure(exc, doing))
        self._buffer: list[Progress] = []
        self._lock = threading.Lock()
        self._last_flush = 0.0

    @Slot()
    def run(self) -> None:
        """Run the job; always ends by quitting its thread's event loop."""
        try:
            if self.needs_keras:
                from engine.build.backend import import_keras_quietly

                import_keras_quietly()  # on this thread: the GUI never waits for TensorFlow
                if self.control.stopped:
                    self.failed.emit(f"Stopped before {self.doing} began.")
                    return
            result = self.fn(self.snapshot, self.options, self._report, _FlushingControl(self))
            self.flush(force=True)
            self.finished.emit(result)
        except SproutError as exc:
            self.flush(force=True)
            self.failed.emit(str(exc))
        except Exception as exc:  # noqa: BLE001 - thread boundary: reported to the GUI, the app stays up
            self.flush(force=True)
            self.failed.emit(self.describe(exc))
        finally:
            QThread.currentThread().quit()

    def _report(self, p: Progress) -> None:
        if not p.milestone:  # may run on a Keras helper thread: only buffer here
            with self._lock:
                self._buffer.append(p)
            return
        self.flush(force=True)
        self.milestone.emit(p)

    def flush(self, force: bool = False) -> None:
        """Emit the buffered reports if ``FLUSH_S`` has passed (or ``force``); job thread only."""
        now = time.perf_counter()
        if not force and now - self._last_flush < FLUSH_S:
            return
        with self._lock:
            chunk, self._buffer = self._buffer, []
        self._last_flush = now
        if chunk:
            order = {stage: i for i, stage in reversed(list(enumerate(p.stage for p in chunk)))}
            chunk.sort(key=lambda p: (order[p.stage], p.step))  # helper threads may report out of order
            self.progress.emit(chunk)
