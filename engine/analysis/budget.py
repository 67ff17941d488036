"""The resource budget: how much of each limit in ``project.budget`` a graph uses.

A project may cap its parameters, MACs and float32 size (``{"max_params": 10000,
"max_macs": 0, "max_kb": 64.0}``; 0 or a missing key means no limit), and what a target
device gives it: ``flash_kb`` (the model's weights at the device's ``precision``),
``ram_kb`` (the peak of live activations plus the interpreter's arena margin) and
``max_latency_ms`` (MACs / ``macs_per_s``), usually set from a preset of
``resources/devices/presets.json`` (``device`` names it; :mod:`engine.analysis.device`
does the arithmetic). The studio's summary panel draws these lines as gauges, and any
other front end can print them. Pure Python: the numbers come from
:meth:`engine.analysis.graph.Analysis.totals`.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

# (budget key, what it limits); ``used_amounts`` says how each is measured
BUDGET_FIELDS = (("max_params", "Parameters"), ("max_macs", "MACs"), ("max_kb", "Size (KB, float32)"),
                 ("flash_kb", "Flash (KB)"), ("ram_kb", "Peak RAM (KB)"), ("max_latency_ms", "Latency (ms)"))
DEVICE_FIELDS = ("flash_kb", "ram_kb", "max_latency_ms")
NEAR = 0.9  # above this share of a limit the graph is close to it (the gauge turns amber)


@dataclass(frozen=True)
class BudgetLine:
    """One limit of the budget and the graph's use of it.

    Attributes:
        key: the budget key (``max_params``, ``max_macs``, ``max_kb``).
        name: what is limited, for people ("Parameters").
        used: the graph's amount, in the limit's unit (KB for ``max_kb``).
        limit: the limit, or None when there is none.
        over: True when ``used`` exceeds ``limit``.
    """

    key: str
    name: str
    used: float
    limit: float | None
    over: bool

    @property
    def ratio(self) -> float | None:
        """``used / limit``, or None without a limit."""
        return None if self.limit is None else self.used / self.limit

    @property
    def level(self) -> str:
        """``none`` (no limit), ``ok``, ``near`` (above 90%) or ``over``."""
        ratio = self.ratio
        if ratio is None:
            return "none"
        return "over" if ratio > 1 else ("near" if ratio > NEAR else "ok")


def used_amounts(totals: Mapping[str, float], budget: Mapping[str, object] | None = None) -> dict[str, float]:
    """What each budget key measures, read from an analysis's totals (the device keys at the budget's precision)."""
    from engine.analysis.device import budget_estimate

    est = budget_estimate(totals, budget or {})
    return {"max_params": float(totals.get("params", 0)), "max_macs": float(totals.get("macs", 0)),
            "max_kb": float(totals.get("size_float32_bytes", 0)) / 1024,
            "flash_kb": est.flash_bytes / 1024, "ram_kb": est.ram_bytes / 1024, "max_latency_ms": est.latency_s * 1000}


def _limit(value) -> float | None:
    """A positive number, else None (0, missing or not a number: no limit)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        return None
    return float(value)


def check_budget(totals: Mapping[str, float], budget: Mapping[str, object]) -> list[BudgetLine]:
    """Compare a graph's totals with a project's budget.

    Args:
        totals: ``Analysis.totals()`` (``params``, ``macs``, ``size_float32_bytes``...).
        budget: ``project.budget``; keys it lacks have no limit.

    Returns:
        One line per budget field, in ``BUDGET_FIELDS`` order, limited or not.
    """
    used = used_amounts(totals, budget)
    from engine.analysis.device import budget_precision

    precision = budget_precision(budget)
    lines = []
    for key, name in BUDGET_FIELDS:
        limit = _limit(budget.get(key))
        if key == "flash_kb":
            name = f"Flash (KB, {precision})"
        lines.append(BudgetLine(key, name, used[key], limit, limit is not None and used[key] > limit))
    return lines


def over_budget(lines: list[BudgetLine]) -> list[str]:
    """Names of the limits exceeded, in order."""
    return [line.name for line in lines if line.over]
