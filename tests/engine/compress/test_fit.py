"""Fit to budget on the trained digits_cnn: a budget that needs compression, an impossible one, Stop."""
from __future__ import annotations

import json

from engine.compress.fit import Budget, fit_budget_job
from engine.jobs import JobControl


def test_a_32kb_flash_budget_is_met_within_half_a_point(example_run, tmp_path):
    run = example_run("digits_cnn")
    result = fit_budget_job(run, Budget(flash_kb=32, tolerance=0.5), tmp_path / "fit")
    assert result.winner is not None, result.message
    row = result.winner.row
    assert row["size_bytes"] <= 32 * 1024 and row["accuracy_drop_points"] <= 0.5
    assert result.attempts[0].label == "int8" and not result.attempts[0].fits  # 45 KB: int8 alone is not enough
    saved = json.loads((tmp_path / "fit" / "report.json").read_text())
    assert saved["winner"] == result.winner.label and len(saved["plans"]) == len(result.attempts)
    assert saved["steps"][-1]["size_bytes"] == row["size_bytes"] and saved["baseline"]["accuracy"]  # engine format
    import numpy as np

    from engine.export.checks import run_tflite
    from engine.export.job import source_dataset
    from engine.export.source import resolve_source

    data, _ = source_dataset(resolve_source(run))
    got, _ = run_tflite(open(row["file"], "rb").read(), data.x_test)
    assert float(np.mean(np.argmax(got, 1) == data.y_test)) == row["accuracy"]  # the LiteRT number


def test_an_impossible_budget_names_the_binding_line_and_the_miss(example_run, tmp_path):
    result = fit_budget_job(example_run("digits_cnn"), Budget(flash_kb=2, tolerance=0.5), tmp_path / "fit",
                            max_plans=2)
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
    epoch = per_batch * seen["batches"] / 2  # plan 2 fine-tunes 2 epochs: total counts both
    assert ended - seen["stop"] < max(epoch, 1.0), (ended - seen["stop"], epoch)
