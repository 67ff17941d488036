"""Ablation wall time: 4 runs (2 variants x 2 seeds) in the local process pool vs one after the other.

Both sides run the same ``ablation_job`` on digits_cnn (2 epochs a run, fixed execution
blocks), into fresh folders: ``workers=1`` trains the runs in this process (TensorFlow
already loaded, the baseline a user gets without a pool), ``workers=2`` in a spawn-context
pool of two processes, each TensorFlow on one thread (the pool's start-up and TensorFlow
import are inside its time). Measured twice in the order sequential, pool, pool,
sequential; each side's median is used. Target <= 0.7 on a 2-core machine.
"""
from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

SPEC = "param:n7.rate=0.2,0.4"
PROJECT = "digits_cnn"
SEEDS, EPOCHS = 2, 2


def _once(workers: int) -> tuple[float, list]:
    from blocks.registry import default_registry
    from engine.experiments.job import ablation_job
    from engine.experiments.plan import Experiment
    from engine.model.project import load_project

    root = Path(__file__).resolve().parents[2]
    project = load_project(root / "resources" / "examples" / f"{PROJECT}.sprout", default_registry())
    with tempfile.TemporaryDirectory() as out:
        t0 = time.perf_counter()
        result = ablation_job(project, Experiment((SPEC,), SEEDS, EPOCHS), out, workers=workers)
        seconds = time.perf_counter() - t0
    assert len(result.rows) == 2 * SEEDS and not result.stopped
    return seconds, sorted((r["variant"], r["seed"], r["test_accuracy"]) for r in result.rows)


def run() -> dict:
    times = {1: [], 2: []}
    tables = {}
    for workers in (1, 2, 2, 1):
        seconds, table = _once(workers)
        times[workers].append(seconds)
        tables.setdefault(workers, table)
    seq, pool = statistics.median(times[1]), statistics.median(times[2])
    return {"name": "ablation_pool",
            "what": f"{PROJECT} ablation, 2 variants x {SEEDS} seeds x {EPOCHS} epochs: 2-process pool wall time / "
                    f"one after the other (pool {pool:.1f} s, sequential {seq:.1f} s)",
            "ratio": round(pool / seq, 3), "pool_seconds": [round(t, 2) for t in times[2]],
            "sequential_seconds": [round(t, 2) for t in times[1]],
            "same_accuracies": tables[1] == tables[2],
            "target": "<= 0.7 (lower is faster)"}


if __name__ == "__main__":
    print(run())
