"""The budget check: lines per limit, over/near/ok, no limit for 0, missing or junk values."""
from __future__ import annotations

import pytest

from engine.analysis.budget import BUDGET_FIELDS, check_budget, over_budget, used_amounts

TOTALS = {"params": 12_000, "macs": 50_000, "size_float32_bytes": 48_000, "flops": 100_000}


def test_no_budget_gives_unlimited_lines_in_field_order():
    lines = check_budget(TOTALS, {})
    assert [line.key for line in lines] == [key for key, _ in BUDGET_FIELDS]
    assert all(line.limit is None and not line.over and line.ratio is None and line.level == "none" for line in lines)
    assert over_budget(lines) == []


def test_used_amounts_are_read_from_the_totals_in_the_limits_units():
    used = used_amounts(TOTALS)
    assert {k: used[k] for k in ("max_params", "max_macs", "max_kb")} == {
        "max_params": 12_000.0, "max_macs": 50_000.0, "max_kb": 48_000 / 1024}
    # the device lines without a device: int8 weights, the custom MAC rate (1 G MAC/s)
    assert used["flash_kb"] == 12_000 / 1024 and used["max_latency_ms"] == pytest.approx(0.05)
    as_float = used_amounts(TOTALS, {"precision": "float32", "macs_per_s": 5e7})
    assert as_float["flash_kb"] == 48_000 / 1024 and as_float["max_latency_ms"] == pytest.approx(1.0)


def test_each_limit_is_compared_with_its_own_total():
    lines = {line.key: line for line in check_budget(TOTALS, {"max_params": 10_000, "max_macs": 54_000,
                                                              "max_kb": 100.0})}
    assert lines["max_params"].over and lines["max_params"].ratio == pytest.approx(1.2)
    assert lines["max_params"].level == "over"
    assert not lines["max_macs"].over and lines["max_macs"].level == "near"  # 92.6%
    assert not lines["max_kb"].over and lines["max_kb"].level == "ok"
    assert lines["max_kb"].ratio == pytest.approx(48_000 / 1024 / 100)
    assert over_budget(list(lines.values())) == ["Parameters"]


def test_exactly_at_the_limit_is_not_over():
    (line, *_rest) = check_budget(TOTALS, {"max_params": 12_000})
    assert line.ratio == 1.0 and not line.over and line.level == "near"


@pytest.mark.parametrize("junk", [0, -5, None, "10", True, [1]])
def test_zero_negative_or_non_numeric_limits_mean_no_limit(junk):
    (line, *_rest) = check_budget(TOTALS, {"max_params": junk})
    assert line.limit is None and not line.over


def test_everything_over_is_named_in_order():
    lines = check_budget(TOTALS, {"max_params": 1, "max_macs": 1, "max_kb": 1})
    assert over_budget(lines) == ["Parameters", "MACs", "Size (KB, float32)"]
