"""Plans run end to end on the trained digits_cnn example (trained once per session), every
number measured by running the step's TFLite file in the LiteRT interpreter."""
from __future__ import annotations

import json

import numpy as np
import pytest

from engine.compress.job import compress_job
from engine.compress.plan import parse_plan
from engine.jobs import JobControl

ROW_KEYS = {"method", "params", "nonzero_params", "macs", "size_bytes", "size_gz_bytes", "accuracy",
            "latency_ms", "file"}


@pytest.fixture(scope="module")
def cnn_run(example_run):
    return example_run("digits_cnn")


def test_prune_80_then_int8_is_8x_smaller_within_one_point(cnn_run, tmp_path):
    plan = parse_plan({"steps": [{"method": "prune", "sparsity": 0.8, "schedule": "polynomial", "scope": "global",
                                  "fine_tune_epochs": 4}, {"method": "quantize", "mode": "int8"}]})
    result = compress_job(cnn_run, plan, tmp_path / "c")
    report = json.loads((tmp_path / "c" / "report.json").read_text())
    assert report == json.loads(json.dumps(result.report))
    base, (pruned, quantized) = report["baseline"], report["steps"]
    for r in (base, pruned, quantized):
        assert ROW_KEYS <= set(r) and r["error"] is None
    # The baseline's LiteRT accuracy is the run's own test accuracy (float32 TFLite = Keras).
    run = json.loads((cnn_run / "run.json").read_text())
    assert base["accuracy"] == pytest.approx(run["metrics"]["test"]["accuracy"], abs=1e-6)
    assert pruned["nonzero_params"] < 0.25 * pruned["params"]
    ratio = base["size_gz_bytes"] / quantized["size_gz_bytes"]
    drop = 100 * (base["accuracy"] - quantized["accuracy"])
    assert ratio >= 8.0, ratio
    assert drop <= 1.0, drop
    assert quantized["size_ratio"] == pytest.approx(ratio) and quantized["accuracy_drop_points"] == pytest.approx(drop)
    # Each step's files are where the row says, and the int8 file runs with int8 input.
    from ai_edge_litert.interpreter import Interpreter

    for r in (pruned, quantized):
        assert (tmp_path / "c").joinpath(r["file"]).is_file() and (tmp_path / "c").joinpath(r["model_file"]).is_file()
    assert (tmp_path / "c" / "01-prune" / "graph.sprout").is_file()
    interp = Interpreter(model_path=quantized["file"])
    assert interp.get_input_details()[0]["dtype"] == np.int8
    md = (tmp_path / "c" / "report.md").read_text()
    assert "| 2. quantize | int8 |" in md and f"{ratio:.1f}" in md


def test_a_plan_with_all_four_methods_runs_end_to_end(cnn_run, tmp_path):
    plan = parse_plan({"steps": [
        {"method": "distill", "width": 0.5, "temperature": 4, "alpha": 0.3, "epochs": 4},
        {"method": "factorize", "energy": 0.9, "fine_tune_epochs": 1},
        {"method": "prune", "sparsity": 0.5, "fine_tune_epochs": 1},
        {"method": "quantize", "mode": "qat", "fine_tune_epochs": 1}]})
    seen = []
    result = compress_job(cnn_run, plan, tmp_path / "c", on_progress=seen.append)
    rows = result.report["steps"]
    assert [r["method"] for r in rows] == ["distill", "factorize", "prune", "quantize"]
    assert all(r["error"] is None and r["accuracy"] is not None for r in rows), rows
    base = result.report["baseline"]
    assert rows[0]["params"] < 0.5 * base["params"]  # the slimmer student
    assert rows[-1]["variant"] == "int8" and rows[-1]["size_gz_bytes"] < base["size_gz_bytes"] / 4
    assert rows[-1]["accuracy"] > 0.8, rows[-1]
    # The factorized graph is a graph: new low-rank blocks, saved with the step.
    graph = json.loads((tmp_path / "c" / "02-factorize" / "graph.sprout").read_text())
    assert any("low-rank" in n["title"] for n in graph["nodes"])
    assert {p.stage for p in seen} >= {"compress", "measure"}
    assert any(p.message.startswith("step 1/4 distill: fine-tune epoch") for p in seen)


def test_stop_keeps_the_finished_steps_and_measures_them(cnn_run, tmp_path):
    """Stop after step 1: it is kept and measured; and a run's compressed/ models are its children."""
    import shutil

    from engine.compress.report import read_children

    run = shutil.copytree(cnn_run, tmp_path / "p.runs" / "r1")
    control = JobControl()

    def on_progress(p):
        if p.milestone and p.message.endswith("prune done"):
            control.stop()
    plan = parse_plan({"steps": [{"method": "prune", "sparsity": 0.5},
                                 {"method": "factorize", "energy": 0.8, "fine_tune_epochs": 3}]})
    result = compress_job(run, plan, run / "compressed", on_progress, control)
    assert result.stopped and [r["method"] for r in result.report["steps"]] == ["prune"]
    assert result.report["steps"][0]["accuracy"] is not None
    assert not (run / "compressed" / "02-factorize").exists()
    assert "stopped before the plan finished" in (run / "compressed" / "report.md").read_text()
    (kid,) = read_children(run)
    assert kid["label"] == "1. prune" and kid["accuracy"] == result.report["steps"][0]["accuracy"]
    assert kid["nonzero_params"] < kid["params"]
