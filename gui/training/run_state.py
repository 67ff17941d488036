"""The state of a live run in plain data: progress counters, names and the status line.

Shared by the training controller (which updates it) and the dock (which shows it);
no Qt here, so it reads like the engine data it is drawn from.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass

from engine.jobs import JobControl

ENDINGS = {"completed": "Training finished", "stopped": "Stopped; the weights so far are kept",
           "early_stopping": "Stopped early: no better validation loss", "nan_loss": "Training diverged"}


@dataclass
class RunProgress:
    """How far the live run is: what the progress bar and the ETA are drawn from."""

    steps_done: int = 0
    steps_total: int = 0
    t_first: float | None = None  # when the first step was reported (the ETA leaves loading out)
    epoch: int = 0                # 0-based, of the last reported step
    batch: int = 0
    batches: int = 1
    epochs: int = 1


def ending_text(stop_reason: str) -> str:
    """How a run ended, in words."""
    return ENDINGS.get(stop_reason, stop_reason)


def score_split(record: dict) -> str | None:
    """Which split ``engine.runs.store.score_of`` reads a run's accuracy from: "test", "val" or None."""
    metrics = record.get("metrics") or {}
    for split in ("test", "val"):
        value = (metrics.get(split) or {}).get("accuracy")
        if isinstance(value, (int, float)) and math.isfinite(value):
            return split
    return None


def score_label(record: dict) -> str:
    """The name of a run's score: "Test accuracy", or "Validation accuracy" when there is no test split."""
    return "Validation accuracy" if score_split(record) == "val" else "Test accuracy"


def next_run_name(records: list) -> str:
    """"Run N" with N one more than the highest such number so far."""
    numbers = [int(r["name"][4:]) for r in records
               if isinstance(r.get("name"), str) and r["name"].startswith("Run ") and r["name"][4:].isdigit()]
    return f"Run {max(numbers, default=0) + 1}"


def status_text(p: RunProgress, control: JobControl | None, running: bool) -> str:
    """The line beside the progress bar: loading, paused, or steps, speed and ETA."""
    if not running or control is None:
        return ""
    if control.waiting:
        return f"Paused before the step after epoch {p.epoch + 1}, batch {p.batch + 1}"
    if p.t_first is None or not p.steps_done:
        return "Loading TensorFlow, data and model…" if p.t_first is None else ""
    spent = time.perf_counter() - p.t_first - control.paused_seconds()
    rate = p.steps_done / max(spent, 1e-6)
    left = max(0, p.steps_total - p.steps_done) / max(rate, 1e-6)
    return (f"Step {p.steps_done}/{p.steps_total} · {rate:,.0f} steps/s · "
            f"ETA {int(left // 60)}:{int(left % 60):02d}")
