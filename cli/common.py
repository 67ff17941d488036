"""Pieces every job-running command shares: the Ctrl+C stop flag and the result line."""
from __future__ import annotations

import contextlib
import signal
import sys
from collections.abc import Iterator
from pathlib import Path

from engine.jobs import JobControl

EXAMPLES = Path(__file__).resolve().parent.parent / "resources" / "examples"


class StopFlag:
    """Ctrl+C asks the job to stop after the current step; a second Ctrl+C aborts.

    The job keeps what it finished (weights, the points measured so far), which a
    plain ``KeyboardInterrupt`` in the middle of a Keras call would not guarantee.
    """

    def __init__(self) -> None:
        self.control = JobControl()

    @property
    def requested(self) -> bool:
        """True once the first Ctrl+C arrived."""
        return self.control.stopped

    @contextlib.contextmanager
    def installed(self) -> Iterator[StopFlag]:
        """Route SIGINT to the flag while the block runs; restores the old handler after."""
        previous = signal.getsignal(signal.SIGINT)

        def handler(signum, frame):
            if self.requested:
                raise KeyboardInterrupt
            self.control.stop()
            print("\nstopping after the current batch...", file=sys.stderr)

        signal.signal(signal.SIGINT, handler)
        try:
            yield self
        finally:
            signal.signal(signal.SIGINT, previous)


def report_result(result, out) -> None:
    """Print how a training run ended, its test metrics, and where it was saved (stderr).

    Args:
        result: an :class:`engine.train.trainer.TrainResult`.
        out: the run folder written, or None.
    """
    test = result.metrics.get("test", {})
    line = f"{result.stop_reason}: {result.epochs_run} epochs"
    if test:
        line += ", test " + ", ".join(f"{k} {v:.4f}" for k, v in test.items())
    if result.message:
        line += f". {result.message}"
    print(line, file=sys.stderr)
    if getattr(result, "execution", None) is not None:
        print(f"execution: {result.execution.describe()}", file=sys.stderr)
    if out:
        print(f"saved to {out}", file=sys.stderr)
