"""Fit to budget: search a small space of compression plans for the smallest model that fits.

Given a trained run, a device budget (flash and RAM in KB) and an accuracy tolerance,
the search runs candidate plans (int8 post-training quantization, structured pruning at
growing sparsity, factorization, distillation into a slimmer student when the budget is
far away), each as a compression job measured in the LiteRT interpreter, and keeps the
smallest model within the tolerance whose TFLite fits: flash = the .tflite file's bytes
(what the device stores: unstructured sparsity does not shrink it, so it is not a
candidate), RAM = the tensor arena the interpreter's tensor table implies
(:mod:`engine.export.arena`). When none fits, the result names the best attempt, by how
much it misses and which line binds. Stop ends the running plan; finished plans are kept.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from engine import atomic
from engine.compress.job import compress_job
from engine.compress.plan import parse_plan
from engine.errors import CompressionError
from engine.jobs import JobControl, OnProgress, Progress, report

FAR = 4.0  # the int8 model is more than this many times the flash budget: try a student first


@dataclass(frozen=True)
class Budget:
    """Limits in KB (0 = none) and the accuracy drop allowed, in points."""

    flash_kb: float = 0.0
    ram_kb: float = 0.0
    tolerance: float = 0.5
    device: str = "custom"

    def check(self) -> Budget:
        """Self, or CompressionError naming a bad value."""
        for name in ("flash_kb", "ram_kb", "tolerance"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0 or value != value:
                raise CompressionError(f"Expected {name} >= 0. Received: {name}={value!r}")
        if not self.flash_kb and not self.ram_kb:
            raise CompressionError("fit to budget needs a flash or RAM limit (a device or --flash-kb / --ram-kb)")
        return self


def candidates(int8_kb: float, budget: Budget) -> list[tuple[str, list]]:
    """The plans to try, gentlest first (a student first when the budget is far away)."""
    int8 = {"method": "quantize", "mode": "int8"}
    plans = [("int8", [int8])]
    # Whole filters gone take epochs to recover: on a 98.9% digits_cnn, structured 30% was
    # 1.48 pt down after 2 epochs of fine-tuning, 0.37 pt after 8 (epochs of small data are cheap).
    for s, ep in ((0.3, 8), (0.5, 10), (0.7, 12)):
        plans.append((f"structured {s:.0%} + int8",
                      [{"method": "prune", "sparsity": s, "structured": True, "fine_tune_epochs": ep}, int8]))
    plans.append(("factorize 90% + structured 50% + int8",
                  [{"method": "factorize", "energy": 0.9, "fine_tune_epochs": 3},
                   {"method": "prune", "sparsity": 0.5, "structured": True, "fine_tune_epochs": 8}, int8]))
    students = [("distill 0.5x + int8", [{"method": "distill", "width": 0.5, "epochs": 10}, int8]),
                ("distill 0.25x + int8", [{"method": "distill", "width": 0.25, "epochs": 12}, int8])]
    if budget.flash_kb and int8_kb > FAR * budget.flash_kb:
        return plans[:1] + students + plans[1:]
    return plans + students


@dataclass
class Attempt:
    """One plan tried and how its last step measured against the budget."""

    label: str
    plan: dict
    folder: str
    row: dict
    arena_bytes: int | None
    fits: bool
    within_tolerance: bool
    misses: dict = field(default_factory=dict)  # limit -> used / limit (> 1 means over)

    def summary(self) -> str:
        """'25.2 KB flash, 9.7 KB RAM, 98.15% (+0.00 pt): fits' (or what is over)."""
        row = self.row
        if row.get("error"):
            return f"failed: {row['error']}"
        ram = "" if self.arena_bytes is None else f", {self.arena_bytes / 1024:.1f} KB RAM"
        acc = "" if row.get("accuracy") is None else (f", {100 * row['accuracy']:.2f}% "
                                                      f"({row.get('accuracy_drop_points') or 0:+.2f} pt)")
        over = [k.split("_")[0] for k, m in self.misses.items() if m > 1]
        verdict = ("fits" if self.within_tolerance else "fits, but over the tolerance") if self.fits else \
            f"over on {' and '.join(over)}"
        return f"{(row.get('size_bytes') or 0) / 1024:.1f} KB flash{ram}{acc}: {verdict}"

    def to_json(self) -> dict:
        """For report.json's ``plans``."""
        return {"label": self.label, "plan": self.plan, "folder": self.folder, "fits": self.fits,
                "within_tolerance": self.within_tolerance, "arena_bytes": self.arena_bytes,
                "misses": self.misses, **{k: self.row.get(k) for k in (
                    "size_bytes", "size_gz_bytes", "accuracy", "accuracy_drop_points", "latency_ms",
                    "params", "nonzero_params", "macs", "file", "model_file")}}


@dataclass
class FitResult:
    """The plans tried, the winner (or None) and one line saying what happened."""

    attempts: list
    winner: Attempt | None
    message: str
    stopped: bool
    folder: Path


def _judge(label, plan, folder, result, budget: Budget) -> Attempt:
    from engine.export.arena import measure

    row = result.report["steps"][-1]
    arena = None
    if row.get("file") and Path(row["file"]).is_file():
        try:
            arena = int(measure(Path(row["file"]).read_bytes()).arena_bytes)
        except (ValueError, AttributeError):
            arena = None
    used = {"flash_kb": (row.get("size_bytes") or 0) / 1024, "ram_kb": (arena or 0) / 1024}
    misses = {k: used[k] / getattr(budget, k) for k in used if getattr(budget, k)}
    drop = row.get("accuracy_drop_points")
    ok_acc = row.get("error") is None and drop is not None and drop <= budget.tolerance
    fits = row.get("error") is None and all(m <= 1.0 for m in misses.values())
    return Attempt(label, plan, str(folder), row, arena, fits, ok_acc, misses)


def verdict(attempts: list[Attempt], budget: Budget) -> tuple[Attempt | None, str]:
    """The smallest fitting attempt within the tolerance, or None and what binds and by how much."""
    good = [a for a in attempts if a.fits and a.within_tolerance]
    if good:
        best = min(good, key=lambda a: a.row["size_bytes"])
        return best, (f"{best.label}: {best.row['size_bytes'] / 1024:.1f} KB flash, accuracy "
                      f"{100 * best.row['accuracy']:.2f}% ({best.row['accuracy_drop_points']:+.2f} pt)")
    tolerant = [a for a in attempts if a.within_tolerance and a.misses] or [a for a in attempts if a.misses]
    if not tolerant:
        return None, "no plan finished; nothing to compare with the budget"
    best = min(tolerant, key=lambda a: max(a.misses.values()))
    line, ratio = max(best.misses.items(), key=lambda kv: kv[1])
    names = {"flash_kb": "flash", "ram_kb": "RAM"}
    limit = getattr(budget, line)
    what = "flash" if line == "flash_kb" else "RAM"
    advice = ("a graph with fewer parameters (fewer filters/units, a GlobalAvgPool2D before the Dense) or a "
              "larger flash budget") if line == "flash_kb" else ("smaller activations (fewer filters early, "
                                                                 "pooling sooner) or a larger RAM budget")
    return None, (f"nothing fits: the best attempt within tolerance, {best.label}, needs "
                  f"{ratio * limit:.1f} KB of {what} for a budget of {limit:g} KB ({ratio:.2f}x); "
                  f"{names[line]} is the binding line; try {advice}")


def fit_budget_job(source_path, budget: Budget, out_dir, on_progress: OnProgress | None = None,
                   control: JobControl | None = None, data: str | None = None,
                   max_plans: int | None = None) -> FitResult:
    """Try the candidate plans on a trained run; write ``out_dir/report.json``; return the verdict."""
    budget.check()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    attempts: list[Attempt] = []
    stopped, found = False, False
    plans = None
    for i in range(1, 100):
        if control is not None and control.should_stop():
            stopped = True
            break
        if plans is None:  # the int8 baseline first: it sizes the search
            label, steps = "int8", [{"method": "quantize", "mode": "int8"}]
        else:
            if not plans:
                break
            label, steps = plans.pop(0)
        plan = parse_plan({"steps": steps})
        report(on_progress, Progress("fit", i, None, f"plan {i}: {label}", milestone=True))
        result = compress_job(source_path, plan, out / f"plan{i:02d}", _relay(on_progress, i, label), control, data)
        if result.stopped:
            stopped = True
            if not result.report["steps"] or len(result.report["steps"]) < len(plan.steps):
                break
        attempt = _judge(label, plan.to_json(), out / f"plan{i:02d}", result, budget)
        attempts.append(attempt)
        report(on_progress, Progress("fit", i, None, f"plan {i}: {label}: {attempt.summary()}", milestone=True))
        if plans is None:
            plans = candidates(attempt.row["size_bytes"] / 1024, budget)[1:]
        if attempt.fits and attempt.within_tolerance:
            # One more, more aggressive plan after the first fit: is a smaller one still within tolerance?
            plans = [] if found else plans[:1]
            found = True
        if max_plans is not None and len(attempts) >= max_plans:
            break
        if stopped:
            break
    winner, message = verdict(attempts, budget)
    write_fit_report(out, attempts, winner, message, budget, stopped)
    return FitResult(attempts, winner, message, stopped, out)


def write_fit_report(out: Path, attempts: list[Attempt], winner: Attempt | None, message: str,
                     budget: Budget, stopped: bool) -> None:
    """``out/report.json``: the winner's compression report (the engine's format), plus the plans tried.

    Without a winner, the steps are the best attempt's (the one the message names), so
    the file still says what was measured; ``winner`` is then null.
    """
    from engine.compress.report import REPORT_JSON
    from engine.reader import read_text

    chosen = winner or (min(attempts, key=lambda a: max(a.misses.values(), default=0.0)) if attempts else None)
    base = {"format": "sprout-compression-report", "steps": []}
    if chosen is not None and (Path(chosen.folder) / REPORT_JSON).is_file():
        base = json.loads(read_text(Path(chosen.folder) / REPORT_JSON, 8 << 20, "plan report"))
    base.update({"budget": dict(budget.__dict__), "plans": [a.to_json() for a in attempts],
                 "winner": None if winner is None else winner.label, "message": message, "stopped": stopped})
    atomic.write_text(out / REPORT_JSON, json.dumps(base, indent=2) + "\n")


def _relay(on_progress, i, label):
    if on_progress is None:
        return None

    def forward(p: Progress) -> None:
        on_progress(Progress("fit", p.step, p.total, f"plan {i} ({label}): {p.message}", p.metrics, p.milestone))
    return forward
