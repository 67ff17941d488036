"""The CLI's one renderer of engine jobs: a progress bar on stderr (no dependencies).

It knows nothing of the job it shows: every :class:`engine.jobs.Progress` updates one
line (``stage [#####.....] step/total message``), and a milestone (an epoch's end, a
finished stage) is printed as a line of its own with its metrics.
"""
from __future__ import annotations

import sys
import time

from engine.jobs import Progress

SHOWN_METRICS = ("loss", "accuracy", "val_loss", "val_accuracy", "size_kb", "seconds")


class ProgressBar:
    """Callable as a job's ``on_progress``; redraws at most every ``min_interval`` seconds."""

    def __init__(self, stream=None, min_interval: float = 0.1, width: int = 30, header: str = ""):
        self.stream = stream or sys.stderr
        self.header = header  # printed with the first report: only once the slow set-up has succeeded
        self.min_interval = min_interval
        self.width = width
        self._last = 0.0
        self._tty = hasattr(self.stream, "isatty") and self.stream.isatty()

    def __call__(self, p: Progress) -> None:
        if self.header:
            self.stream.write(self.header + "\n")
            self.header = ""
        if p.milestone:
            self._write(milestone_line(p), end="\n")
            return
        now = time.monotonic()
        if not self._tty or now - self._last < self.min_interval:
            return
        self._last = now
        self._write(bar_line(p, self.width), end="")

    def _write(self, text: str, end: str) -> None:
        if self._tty:
            self.stream.write("\r\033[K" + text + end)
        else:
            self.stream.write(text + end)
        self.stream.flush()


def milestone_line(p: Progress) -> str:
    """``epoch 3/10  loss 0.3100  accuracy 0.9100  1.2s``: the message and the shown metrics."""
    parts = [p.message or f"{p.stage} {p.step}" + (f"/{p.total}" if p.total else "")]
    for key in SHOWN_METRICS:
        value = p.metrics.get(key)
        if isinstance(value, (int, float)):
            parts.append(f"{value:.1f}s" if key == "seconds" else f"{key} {value:.4f}")
    return "  ".join(parts)


def bar_line(p: Progress, width: int = 30) -> str:
    """``train [#########.....] 120/300 epoch 2/5 loss 0.4100``."""
    frac = p.fraction
    bar = f"[{'#' * int(width * frac)}{'.' * (width - int(width * frac))}] " if frac is not None else ""
    count = f"{p.step}/{p.total}" if p.total else f"{p.step}"
    loss = p.metrics.get("loss")
    tail = f" loss {loss:.4f}" if isinstance(loss, (int, float)) else ""
    return f"{p.stage} {bar}{count} {p.message}{tail}".rstrip()
