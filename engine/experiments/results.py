"""An ablation's results: one row per run, one line per variant, and whether the best really is.

Per variant: test accuracy mean and sample standard deviation over seeds, parameters,
MACs and training time. The best mean is marked; every other variant is compared with it
by Welch's t-test (unequal variances, two-sided, on the per-seed accuracies); a p-value of
0.05 or more gets the note "within the seed spread of the best". With one seed there is no
spread to test, and the table says so.
"""
from __future__ import annotations

import csv
import io
import math
import statistics
from dataclasses import dataclass

CSV_FIELDS = ("variant", "seed", "test_accuracy", "params", "macs", "seconds")
ALPHA = 0.05


@dataclass
class VariantSummary:
    label: str
    index: int
    accuracies: list[float]
    params: int
    macs: int
    seconds: float
    best: bool = False
    p_value: float | None = None
    note: str = ""

    @property
    def mean(self) -> float:
        return statistics.fmean(self.accuracies) if self.accuracies else math.nan

    @property
    def std(self) -> float:
        return statistics.stdev(self.accuracies) if len(self.accuracies) > 1 else math.nan


def welch_p(a: list[float], b: list[float]) -> float | None:
    """Two-sided Welch t-test p-value, or None when either side has fewer than two runs."""
    if len(a) < 2 or len(b) < 2:
        return None
    va, vb = statistics.variance(a), statistics.variance(b)
    if va == 0 and vb == 0:
        return 1.0 if statistics.fmean(a) == statistics.fmean(b) else 0.0
    import warnings

    from scipy import stats

    with warnings.catch_warnings():  # nearly equal accuracies: scipy warns of precision, the p-value stands
        warnings.simplefilter("ignore", RuntimeWarning)
        return float(stats.ttest_ind(a, b, equal_var=False).pvalue)


def summarize(rows: list[dict]) -> list[VariantSummary]:
    """Variants in their grid order, the best marked, the others tested against it."""
    by: dict[int, VariantSummary] = {}
    for r in sorted(rows, key=lambda r: (r["variant_index"], r["seed"])):
        s = by.setdefault(r["variant_index"], VariantSummary(r["variant"], r["variant_index"], [], r["params"],
                                                             r["macs"], 0.0))
        if r.get("test_accuracy") is not None:
            s.accuracies.append(float(r["test_accuracy"]))
        s.seconds += float(r["seconds"])
    out = [by[k] for k in sorted(by)]
    for s in out:
        s.seconds = s.seconds / max(1, len([r for r in rows if r["variant_index"] == s.index]))
    scored = [s for s in out if s.accuracies]
    if not scored:
        return out
    best = max(scored, key=lambda s: s.mean)
    best.best = True
    for s in scored:
        if s is best:
            continue
        s.p_value = welch_p(s.accuracies, best.accuracies)
        if s.p_value is None:
            s.note = "one seed: no spread to test"
        elif s.p_value >= ALPHA:
            s.note = f"within the seed spread of the best (Welch p={s.p_value:.2f})"
        else:
            s.note = f"worse than the best (Welch p={s.p_value:.3f})"
    return out


def to_csv(rows: list[dict]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_FIELDS)
    for r in sorted(rows, key=lambda r: (r["variant_index"], r["seed"])):
        acc = r.get("test_accuracy")
        writer.writerow([r["variant"], r["seed"], "" if acc is None else f"{acc:.6f}", r["params"], r["macs"],
                         f"{r['seconds']:.2f}"])
    return buf.getvalue()


def _pct(v: float) -> str:
    return "–" if math.isnan(v) else f"{100 * v:.2f}"


def to_markdown(summaries: list[VariantSummary], seeds: int, epochs: int, title: str = "Ablation") -> str:
    lines = [f"# {title}", "", f"{seeds} seed(s) per variant, {epochs} epoch(s) each; test accuracy in %, "
             "mean ± sample standard deviation over seeds. Significance: Welch's t-test against the best, "
             f"two-sided, α = {ALPHA}.", "",
             "| variant | test accuracy (%) | params | MACs | s per run | note |", "|---|---|---|---|---|---|"]
    for s in summaries:
        acc = f"{_pct(s.mean)} ± {_pct(s.std)}" if len(s.accuracies) > 1 else _pct(s.mean)
        mark = "**best**" if s.best else s.note
        lines.append(f"| {s.label} | {acc} | {s.params:,} | {s.macs:,} | {s.seconds:.1f} | {mark} |")
    return "\n".join(lines) + "\n"


def table_text(summaries: list[VariantSummary]) -> str:
    """The plain-text table the CLI prints."""
    width = max([len(s.label) for s in summaries] + [7])
    out = [f"{'variant':<{width}}  {'accuracy %':>15}  {'params':>9}  {'MACs':>10}  {'s/run':>6}  note"]
    for s in summaries:
        acc = f"{_pct(s.mean)} ± {_pct(s.std)}" if len(s.accuracies) > 1 else _pct(s.mean)
        out.append(f"{s.label:<{width}}  {acc:>15}  {s.params:>9,}  {s.macs:>10,}  {s.seconds:>6.1f}  "
                   f"{'best' if s.best else s.note}")
    return "\n".join(out)


def curves(out, rows: list[dict], metric: str = "val_accuracy") -> dict[str, list[float]]:
    """Per variant, ``metric`` per epoch averaged over its seeds (runs' ``history.csv``)."""
    from pathlib import Path

    from engine.runs.results import read_history

    per: dict[str, list[list[float]]] = {}
    for r in sorted(rows, key=lambda r: (r["variant_index"], r["seed"])):
        try:
            history = read_history(Path(out) / "runs" / r["folder"])
        except (OSError, ValueError):
            continue
        values = [float(h[metric]) for h in history if h.get(metric) not in (None, "")]
        if values:
            per.setdefault(r["variant"], []).append(values)
    out_curves = {}
    for label, runs in per.items():
        n = min(len(v) for v in runs)
        out_curves[label] = [statistics.fmean(v[i] for v in runs) for i in range(n)]
    return out_curves
