"""The job contract: every long piece of engine work has one shape (DESIGN.md section 1).

A job is a plain function ``job(snapshot, options, on_progress, control) -> result``
that raises a typed :class:`~engine.errors.SproutError` for anything a user can cause.
It reports :class:`Progress` through ``on_progress`` (on whatever thread it runs on) and
asks ``control`` whether to stop or to wait while paused. The CLI renders any job with
one progress bar (``cli/progress.py``); the GUI runs any job with one worker
(``gui/jobs/``). Neither knows what the job does.

A ``JobControl`` makes ``should_stop()`` block while the job is paused, so a job that
polls it between two steps halts exactly there and carries on with the next step:
nothing is re-run or skipped, and no job needs code of its own for pausing.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Progress:
    """One report of a running job.

    Attributes:
        stage: what the job is doing (``train``, ``epoch``, ``lr-range``, ``export``...).
        step: units of ``stage`` done so far (1 after the first).
        total: units in the stage, or None when unknown.
        message: one line for a person (``epoch 3/10``).
        metrics: numbers measured at this step (``{"loss": 0.31}``).
        milestone: True for a report worth keeping (an epoch ended, a stage finished):
            the CLI prints it as a line of its own, the GUI delivers it at once instead of
            batching it with the frequent reports.
    """

    stage: str
    step: int
    total: int | None = None
    message: str = ""
    metrics: Mapping[str, Any] = field(default_factory=dict)
    milestone: bool = False

    @property
    def fraction(self) -> float | None:
        """``step / total`` in [0, 1], or None when the total is unknown."""
        if not self.total:
            return None
        return min(1.0, max(0.0, self.step / self.total))


OnProgress = Callable[[Progress], None]


class JobControl:
    """Thread-safe pause/resume/stop switches, set from any thread, polled by the job."""

    def __init__(self, poll_s: float = 0.05):
        self._stop = threading.Event()
        self._running = threading.Event()
        self._running.set()
        self._waiting = threading.Event()
        self._poll_s = poll_s
        self._lock = threading.Lock()
        self._paused_since: float | None = None
        self._paused_total = 0.0
        self.polls = 0  # how many steps asked to go ahead; tests compare it across a pause

    # -- requests (any thread) -------------------------------------------------------
    def pause(self) -> None:
        """Hold the job before its next step (the running step finishes first)."""
        with self._lock:
            if self._running.is_set() and not self._stop.is_set():
                self._running.clear()
                self._paused_since = time.perf_counter()

    def resume(self) -> None:
        """Let a paused job continue with its next step."""
        with self._lock:
            if self._paused_since is not None:
                self._paused_total += time.perf_counter() - self._paused_since
                self._paused_since = None
            self._running.set()

    def stop(self) -> None:
        """End the job after the running step; also releases a paused job."""
        self._stop.set()
        self.resume()

    # -- state -----------------------------------------------------------------------
    @property
    def paused(self) -> bool:
        """True from ``pause()`` until ``resume()``/``stop()``."""
        return not self._running.is_set()

    @property
    def stopped(self) -> bool:
        """True once ``stop()`` was called."""
        return self._stop.is_set()

    @property
    def waiting(self) -> bool:
        """True while the job's thread is actually parked in ``wait_if_paused``."""
        return self._waiting.is_set()

    def paused_seconds(self) -> float:
        """Total time spent paused so far (an ETA leaves it out)."""
        with self._lock:
            extra = time.perf_counter() - self._paused_since if self._paused_since is not None else 0.0
            return self._paused_total + extra

    # -- the job's side (the job's thread) -------------------------------------------
    def wait_if_paused(self) -> None:
        """Block while paused (returns at once when running or stopped)."""
        if self._running.is_set():
            return
        self._waiting.set()
        try:
            # A timed wait keeps the thread interruptible and the interpreter responsive.
            while not self._running.wait(self._poll_s):
                pass
        finally:
            self._waiting.clear()

    def should_stop(self) -> bool:
        """Wait while paused, then True once stopped. Polled before every step."""
        self.wait_if_paused()
        if self._stop.is_set():
            return True
        self.polls += 1
        return False


def control_or_default(control: JobControl | None) -> JobControl:
    """``control``, or a fresh one nobody will stop (for callers that need no control)."""
    return control if control is not None else JobControl()


def report(on_progress: OnProgress | None, progress: Progress) -> None:
    """Send ``progress`` when someone listens."""
    if on_progress is not None:
        on_progress(progress)
