"""A terminal progress bar for engine callbacks (stderr, no dependencies)."""
from __future__ import annotations

import sys
import time

from engine.trainer import Progress


class ProgressBar:
    """Prints one updating line per epoch, and a summary line when an epoch ends."""

    def __init__(self, stream=None, min_interval: float = 0.1):
        self.stream = stream or sys.stderr
        self.min_interval = min_interval
        self._last = 0.0
        self._tty = hasattr(self.stream, "isatty") and self.stream.isatty()

    def __call__(self, p: Progress) -> None:
        if p.row is not None:
            row = p.row
            parts = [f"epoch {p.epoch + 1}/{p.epochs}"]
            parts += [f"{k} {row[k]:.4f}" for k in ("loss", "accuracy", "val_loss", "val_accuracy") if k in row]
            parts.append(f"{row['seconds']:.1f}s")
            self._write("  ".join(parts), end="\n")
            return
        now = time.monotonic()
        if not self._tty or now - self._last < self.min_interval:
            return
        self._last = now
        done = (p.batch or 0) + 1
        width = 30
        fill = int(width * done / p.batches)
        loss = f" loss {p.loss:.4f}" if p.loss is not None else ""
        self._write(f"epoch {p.epoch + 1}/{p.epochs} [{'#' * fill}{'.' * (width - fill)}] "
                    f"{done}/{p.batches}{loss}", end="")

    def _write(self, text: str, end: str) -> None:
        if self._tty:
            self.stream.write("\r\033[K" + text + end)
        else:
            self.stream.write(text + end)
        self.stream.flush()
