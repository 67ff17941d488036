"""The ablation table: means, spreads, the best, Welch's test, CSV and Markdown."""
from __future__ import annotations

import math

import pytest

from engine.experiments.results import summarize, table_text, to_csv, to_markdown, welch_p


def _rows(accs: dict[int, list[float]]):
    return [{"variant": f"v{i}", "variant_index": i, "seed": s, "test_accuracy": a, "params": 100 + i, "macs": 10,
             "seconds": 2.0} for i, values in accs.items() for s, a in enumerate(values)]


def test_welch_matches_scipy_and_the_textbook_case():
    from scipy import stats

    a, b = [0.90, 0.91, 0.92, 0.93], [0.80, 0.85, 0.83, 0.86, 0.84]
    assert welch_p(a, b) == pytest.approx(stats.ttest_ind(a, b, equal_var=False).pvalue)
    # by hand: t = (mean_a - mean_b) / sqrt(va/na + vb/nb), Welch-Satterthwaite degrees of freedom
    va, vb = 0.0001666667, 0.000530
    t = (0.915 - 0.836) / math.sqrt(va / 4 + vb / 5)
    df = (va / 4 + vb / 5) ** 2 / ((va / 4) ** 2 / 3 + (vb / 5) ** 2 / 4)
    assert welch_p(a, b) == pytest.approx(2 * stats.t.sf(t, df), rel=1e-3)
    assert welch_p([0.9], [0.8, 0.7]) is None


def test_the_best_is_marked_and_close_variants_are_within_its_spread():
    s = summarize(_rows({0: [0.90, 0.92, 0.91], 1: [0.905, 0.93, 0.89], 2: [0.70, 0.71, 0.69]}))
    assert [x.best for x in s] == [True, False, False]
    assert s[0].mean == pytest.approx(0.91) and s[0].std == pytest.approx(0.01)
    assert "within the seed spread" in s[1].note and "Welch p=" in s[1].note
    assert s[2].note.startswith("worse than the best") and s[2].p_value < 0.05
    md = to_markdown(s, 3, 5)
    assert "| v0 | 91.00 ± 1.00 | 100 | 10 | 2.0 | **best** |" in md and "Welch's t-test" in md
    assert "v2" in table_text(s) and "best" in table_text(s)


def test_one_seed_says_there_is_no_spread_and_csv_has_a_row_per_run():
    s = summarize(_rows({0: [0.9], 1: [0.8]}))
    assert s[1].note == "one seed: no spread to test" and math.isnan(s[0].std)
    text = to_csv(_rows({0: [0.9, 0.8], 1: [0.7]}))
    assert text.splitlines() == ["variant,seed,test_accuracy,params,macs,seconds", "v0,0,0.900000,100,10,2.00",
                                 "v0,1,0.800000,100,10,2.00", "v1,0,0.700000,101,10,2.00"]
