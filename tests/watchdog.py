"""A test that hangs ends the session with its name as the last lines of the output.

CI shows only the tail of what a run printed, and a hang there used to end as "Terminated"
after the CI's own limit with no name. The watchdog (a daemon thread, armed around each
test by ``tests/conftest.py``) waits ``HANG_SECONDS`` (``SPROUT_TEST_HANG_SECONDS``
overrides it); when a test is still running then, it prints one line naming the test,
one line per thread with the innermost frames of Sprout's own code, and ends the
process with status 70. faulthandler's full dump (``faulthandler_timeout``) comes
earlier, at 300 s, for the details.
"""
from __future__ import annotations

import os
import sys
import threading
import time
import traceback
from pathlib import Path

HANG_SECONDS = float(os.environ.get("SPROUT_TEST_HANG_SECONDS", "600"))
ROOT = Path(__file__).resolve().parents[1]
EXIT_STATUS = 70


class Watchdog:
    """Armed with a test's id at its start, disarmed at its end."""

    def __init__(self, limit: float = HANG_SECONDS):
        self.limit = limit
        self._lock = threading.Lock()
        self._current: tuple[str, float] | None = None
        self._capture = None
        thread = threading.Thread(target=self._watch, name="sprout-test-watchdog", daemon=True)
        thread.start()

    def arm(self, nodeid: str, capture=None) -> None:
        """Watch the test ``nodeid``; ``capture`` is pytest's capture manager (its output is let out first)."""
        with self._lock:
            self._current = (nodeid, time.monotonic())
            self._capture = capture

    def disarm(self) -> None:
        with self._lock:
            self._current = None

    def _watch(self) -> None:
        while True:
            time.sleep(min(5.0, self.limit / 4))
            with self._lock:
                current = self._current
            if current is not None and time.monotonic() - current[1] > self.limit:
                self._bite(*current)

    def _bite(self, nodeid: str, started: float) -> None:
        lines = [f"SPROUT TEST HANG: {nodeid} still running after {time.monotonic() - started:.0f} s"]
        names = {t.ident: t.name for t in threading.enumerate()}
        for ident, frame in sys._current_frames().items():  # noqa: SLF001 - the only way to other threads' stacks
            if names.get(ident) == "sprout-test-watchdog":
                continue
            ours = [f"{_ours(f.filename)}:{f.lineno} {f.name}"
                    for f in traceback.extract_stack(frame) if _ours(f.filename)]
            lines.append(f"  thread {names.get(ident, ident)}: " + (" <- ".join(reversed(ours[-3:])) or "(no Sprout frame)"))
        try:
            if self._capture is not None:
                self._capture.suspend_global_capture(in_=False)  # the real stderr, not the capture file
        except Exception:  # noqa: BLE001 - the process ends next: say what we can
            pass
        os.write(2, ("\n".join(lines) + "\n").encode("utf-8", "replace"))
        os._exit(EXIT_STATUS)


def _ours(filename: str) -> str:
    """The path of a frame's file inside the project ("" for the standard library and packages)."""
    if not Path(filename).is_absolute():
        return ""  # "<frozen runpy>", "<string>"
    try:
        relative = Path(filename).resolve().relative_to(ROOT)
    except ValueError:
        return ""
    return "" if relative.parts[0] == ".venv" else str(relative)
