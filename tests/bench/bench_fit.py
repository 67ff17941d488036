"""Fit to budget on digits_cnn for an MCU with 32 KB of flash: wall time, plans tried, the winner.

The search runs as the studio's one click does (``fit_budget_job``), on a digits_cnn
trained in this run; every figure is measured by running the plans' TFLite files in the
LiteRT interpreter. Ratio: the winner's TFLite size against the float32 TFLite of the
trained model (both raw bytes, what the device stores). Target (issue 12): under 5
minutes on 2 cores, at most 0.5 point accuracy drop.
"""
from __future__ import annotations

import tempfile
import time
from pathlib import Path

from tests.bench.bench_compress import _trained

FLASH_KB = 32


def run() -> dict:
    from engine.compress.fit import Budget, fit_budget_job

    out = Path(tempfile.mkdtemp(prefix="sprout-bench-fit-"))
    run_folder = _trained("digits_cnn", out / "run")
    t0 = time.perf_counter()
    result = fit_budget_job(run_folder, Budget(flash_kb=FLASH_KB, ram_kb=256, tolerance=0.5, device="cortex-m4"),
                            out / "fit")
    seconds = time.perf_counter() - t0
    tried = "; ".join(f"{a.label}: {(a.row.get('size_bytes') or 0) / 1024:.1f} KB, "
                      f"{a.row.get('accuracy_drop_points') or 0:+.2f} pt{' (fits)' if a.fits else ''}"
                      for a in result.attempts)
    winner = result.winner
    if winner is None:
        return {"name": "fit_budget_32kb", "ratio": 0.0, "target": "< 300 s, <= 0.5 pt",
                "what": f"no winner in {seconds:.0f} s: {result.message}; tried {tried}"}
    base = result.attempts[0].row.get("size_ratio")  # int8 vs float32 (gzipped), for the record
    float_kb = _float_kb(winner.folder)
    ratio = float_kb / (winner.row["size_bytes"] / 1024) if float_kb else 0.0
    return {"name": "fit_budget_32kb", "ratio": round(ratio, 2),
            "target": "winner <= 32 KB flash, search < 300 s on 2 cores, <= 0.5 pt drop",
            "what": (f"{seconds:.0f} s, {len(result.attempts)} plans; winner {winner.label}: "
                     f"{winner.row['size_bytes'] / 1024:.1f} KB ({ratio:.1f}x smaller than float32 {float_kb:.1f} KB), "
                     f"{winner.row['accuracy_drop_points']:+.2f} pt; int8 alone gz ratio {base}; tried {tried}"),
            "seconds": round(seconds, 1)}


def _float_kb(plan_folder: str) -> float:
    """The raw size of the float32 TFLite of the trained model (the plan's baseline.tflite)."""
    baseline = Path(plan_folder) / "baseline.tflite"
    return baseline.stat().st_size / 1024 if baseline.is_file() else 0.0
