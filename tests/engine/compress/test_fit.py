"""Fit to budget on the trained digits_cnn: an impossible budget, Stop, the plans and the verdict.

The search that succeeds (32 KB of flash, int8 alone 44 KB) runs end to end through the
wizard's one click in tests/gui/test_compress_wizard.py, and through the CLI in
tests/cli/test_compress_commands.py; these are its engine-side cases.
"""
from __future__ import annotations

import json

import pytest

from engine.compress.fit import Attempt, Budget, candidates, fit_budget_job, verdict
from engine.errors import CompressionError
from engine.jobs import JobControl


def test_an_impossible_budget_names_the_binding_line_and_the_miss(example_run, tmp_path):
    result = fit_budget_job(example_run("digits_cnn"), Budget(flash_kb=2, tolerance=0.5), tmp_path / "fit",
                            max_plans=1)
    assert result.winner is None
    assert "nothing fits" in result.message and "flash is the binding line" in result.message
    assert "for a budget of 2 KB" in result.message


def test_stop_during_a_search_ends_within_an_epoch_and_keeps_the_finished_plans(example_run, tmp_path):
    """Stop in the middle of plan 2's first fine-tuning epoch: the search ends before that epoch would have."""
    import time

    control = JobControl()
    seen: dict = {}

    def on_progress(p):
        now = time.perf_counter()
        if p.message.startswith("plan 2") and "fine-tune epoch 1/" in p.message and p.total:
            seen.setdefault("first_batch", now)
            if "stop" not in seen and p.step >= 5:
                seen["stop"], seen["step"], seen["batches"] = now, p.step, p.total
                control.stop()
    result = fit_budget_job(example_run("digits_cnn"), Budget(flash_kb=32), tmp_path / "fit", on_progress, control)
    ended = time.perf_counter()
    assert result.stopped and [a.label for a in result.attempts] == ["int8"]  # plan 1 kept, plan 2 not half-done
    saved = json.loads((tmp_path / "fit" / "report.json").read_text())
    assert saved["stopped"] is True and [p["label"] for p in saved["plans"]] == ["int8"]
    per_batch = (seen["stop"] - seen["first_batch"]) / (seen["step"] - 1)
    epochs = candidates(44.0, Budget(flash_kb=32))[1][1][0]["fine_tune_epochs"]  # plan 2's; total counts all
    epoch = per_batch * seen["batches"] / epochs
    assert ended - seen["stop"] < max(epoch, 1.0), (ended - seen["stop"], epoch)


def test_candidates_start_gentle_and_put_a_student_first_when_far():
    near = [label for label, _ in candidates(44.0, Budget(flash_kb=32))]
    assert near[0] == "int8" and near[1] == "structured 30% + int8" and near[-1].startswith("distill")
    far = [label for label, _ in candidates(44.0, Budget(flash_kb=8))]  # 44 KB > 4 x 8 KB
    assert far[:3] == ["int8", "distill 0.5x + int8", "distill 0.25x + int8"]
    assert all(not any(s.get("method") == "prune" and not s.get("structured") for s in steps)
               for _label, steps in candidates(44.0, Budget(flash_kb=8)))  # unstructured never shrinks flash


def test_verdict_picks_the_smallest_fitting_within_tolerance():
    def attempt(label, kb, drop, fits):
        return Attempt(label, {}, "", {"size_bytes": kb * 1024, "accuracy": 0.9, "accuracy_drop_points": drop},
                       None, fits, drop <= 0.5, {"flash_kb": kb / 32})
    tried = [attempt("a", 44, 0.0, False), attempt("b", 30, 0.2, True), attempt("c", 20, 0.4, True),
             attempt("d", 10, 1.5, True)]
    winner, message = verdict(tried, Budget(flash_kb=32))
    assert winner.label == "c" and message.startswith("c: 20.0 KB flash")
    none, why = verdict([attempt("a", 44, 0.0, False), attempt("d", 40, 1.5, False)], Budget(flash_kb=32))
    assert none is None and "the best attempt within tolerance, a, needs 44.0 KB of flash" in why
    with pytest.raises(CompressionError, match="needs a flash or RAM limit"):
        Budget().check()


def test_the_expected_size_of_a_plan_is_its_arithmetic():
    from engine.compress.expected import STRUCTURE_BYTES, expected, line

    int8 = {"method": "quantize", "mode": "int8"}
    assert expected(35914, [int8])["bytes"] == 35914 + STRUCTURE_BYTES
    half = expected(35914, [{"method": "prune", "sparsity": 0.5, "structured": True}, int8])
    assert half["params"] == int(35914 * 0.5 ** 1.5) and half["precision"] == "int8"
    sparse = expected(35914, [{"method": "prune", "sparsity": 0.8, "structured": False}])
    assert sparse["params"] == 35914 and sparse["nonzero"] == int(35914 * 0.2 + 1e-6)
    assert sparse["bytes"] == 4 * 35914 + STRUCTURE_BYTES  # zeros do not shrink the raw file
    assert expected(1000, [{"method": "quantize", "mode": "float16"}])["bytes"] == 2000 + STRUCTURE_BYTES
    assert "see the per-layer preview" in line(1000, [{"method": "factorize", "energy": 0.9}])
