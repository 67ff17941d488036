"""Ablation wall time: 4 runs (2 variants x 2 seeds) with a 2-process pool vs one after the other.

What a user runs: ``main.py ablate digits_cnn --vary ... --seeds 2 --epochs 20`` with
``--workers 2`` (a spawn-context pool, each TensorFlow on one thread, the parent only
plans and tabulates) against ``--workers 1`` (the runs one after the other in the command's
own process). Each side is a fresh command, so each pays its TensorFlow import once (the
pool's two imports run side by side) and writes every run folder. Measured in the order
sequential, pool, pool, sequential; each side's median is used. Target <= 0.7 on 2 cores.
"""
from __future__ import annotations

import csv
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SPEC = "param:n7.rate=0.2,0.4"
PROJECT = "digits_cnn"
SEEDS, EPOCHS = 2, 20


def _once(workers: int) -> tuple[float, list]:
    with tempfile.TemporaryDirectory() as out:
        cmd = [sys.executable, "main.py", "ablate", str(ROOT / "resources" / "examples" / f"{PROJECT}.sprout"),
               "--vary", SPEC, "--seeds", str(SEEDS), "--epochs", str(EPOCHS), "--workers", str(workers),
               "--out", out]
        t0 = time.perf_counter()
        done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=1800,
                              env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
        seconds = time.perf_counter() - t0
        if done.returncode != 0:
            raise RuntimeError(f"ablate --workers {workers} failed: {done.stderr[-500:]}")
        with open(Path(out) / "results.csv") as fh:
            rows = sorted((r["variant"], r["seed"], r["test_accuracy"]) for r in csv.DictReader(fh))
    assert len(rows) == 2 * SEEDS
    return seconds, rows


def run() -> dict:
    times = {1: [], 2: []}
    tables = {}
    for workers in (1, 2, 2, 1):
        seconds, table = _once(workers)
        times[workers].append(seconds)
        tables.setdefault(workers, table)
    seq, pool = statistics.median(times[1]), statistics.median(times[2])
    return {"name": "ablation_pool",
            "what": f"main.py ablate {PROJECT}, 2 variants x {SEEDS} seeds x {EPOCHS} epochs: --workers 2 / "
                    f"--workers 1 wall time (pool {pool:.1f} s, one after the other {seq:.1f} s)",
            "ratio": round(pool / seq, 3), "pool_seconds": [round(t, 2) for t in times[2]],
            "sequential_seconds": [round(t, 2) for t in times[1]],
            "same_accuracies": tables[1] == tables[2],  # 2 threads in one process vs 1 in each worker: may differ
            "target": "<= 0.7 (lower is faster)"}


if __name__ == "__main__":
    print(run())
