"""Pause, resume and stop for long engine work, driven from another thread.

The trainer polls ``should_stop()`` on the training thread before every step. A
``RunControl`` makes that poll block while the run is paused, so training halts exactly
between two steps and carries on from the next one: nothing is re-run or skipped, and
no trainer code needs to know that pausing exists.
"""
from __future__ import annotations

import threading
import time


class RunControl:
    """Thread-safe pause/resume/stop switches; ``should_stop`` is the trainer's callable."""

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
        """Hold the run before its next step (the running step finishes first)."""
        with self._lock:
            if self._running.is_set() and not self._stop.is_set():
                self._running.clear()
                self._paused_since = time.perf_counter()

    def resume(self) -> None:
        """Let a paused run continue with its next step."""
        with self._lock:
            if self._paused_since is not None:
                self._paused_total += time.perf_counter() - self._paused_since
                self._paused_since = None
            self._running.set()

    def stop(self) -> None:
        """End the run after the running step; also releases a paused run."""
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
        """True while the training thread is actually parked in ``should_stop``."""
        return self._waiting.is_set()

    def paused_seconds(self) -> float:
        """Total time spent paused so far (an ETA leaves it out)."""
        with self._lock:
            extra = time.perf_counter() - self._paused_since if self._paused_since is not None else 0.0
            return self._paused_total + extra

    # -- the trainer's callable (training thread) ------------------------------------
    def should_stop(self) -> bool:
        """Block while paused; True once stopped. Polled before every step."""
        if not self._running.is_set():
            self._waiting.set()
            try:
                # A timed wait keeps the thread interruptible and the interpreter responsive.
                while not self._running.wait(self._poll_s):
                    pass
            finally:
                self._waiting.clear()
        if self._stop.is_set():
            return True
        self.polls += 1
        return False
