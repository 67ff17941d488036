"""``main.py compress`` and ``main.py analyze-compression`` on a trained run."""
from __future__ import annotations

import json
import shutil

from main import main


def test_compress_a_run_writes_the_report_and_prints_its_table(example_run, tmp_path, capsys):
    """No --plan: the plan saved in the run's project (its "compression" section) is run."""
    run = shutil.copytree(example_run("digits_cnn"), tmp_path / "p.runs" / "r1")
    graph = json.loads((run / "graph.sprout").read_text())
    graph["compression"] = {"version": 1, "steps": [{"method": "quantize", "mode": "dynamic"}]}
    (run / "graph.sprout").write_text(json.dumps(graph))
    assert main(["compress", str(run)]) == 0
    out = capsys.readouterr()
    assert "| 1. quantize | dynamic |" in out.out and "Traceback" not in out.err
    report = json.loads((run / "compressed" / "report.json").read_text())
    (step,) = report["steps"]
    assert step["size_gz_bytes"] < report["baseline"]["size_gz_bytes"] / 2.5  # int8 weights
    assert abs(step["accuracy"] - report["baseline"]["accuracy"]) <= 0.01
    assert (run / "compressed" / "01-quantize" / "model_dynamic.tflite").is_file()


def test_a_bad_plan_is_one_line_and_writes_nothing(example_run, tmp_path, capsys):
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({"steps": [{"method": "prune", "sparsity": 1.5}]}))
    assert main(["compress", str(example_run("digits_cnn")), "--plan", str(plan), "--out", str(tmp_path / "o")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"error: {plan}: step 1 (prune): Expected 0 < sparsity < 1. Received: sparsity=1.5"]
    assert not (tmp_path / "o").exists()


def test_analyze_compression_prints_the_sensitivity_table(example_run, capsys):
    assert main(["analyze-compression", str(example_run("digits_cnn")), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    layers = {row["uid"]: row for row in data["layers"]}
    assert set(layers) == {"n2", "n4", "n8", "n9"}
    assert layers["n9"]["factorize"] == {}  # the class layer is never factorized
    for row in layers.values():
        drops = [row["prune"][k] for k in ("0.3", "0.5", "0.7", "0.9")]
        assert drops[-1] >= drops[0]  # pruning more never helps without fine-tuning here
        allowed = [float(k) for k, d in row["prune"].items() if d <= 0.5]
        assert row["recommended_sparsity"] == max(allowed, default=0.0)
    assert any(r["factorize"] for r in layers.values())


def test_fit_budget_prints_the_plans_writes_the_report_and_exports_the_winner(example_run, tmp_path, capsys):
    """A 46 KB flash budget on a Cortex-M4: int8 (44 KB) fits; one more aggressive plan is tried, then export."""
    out = tmp_path / "fit"
    code = main(["compress", str(example_run("digits_cnn")), "--fit-budget", "--device", "cortex-m4",
                 "--flash-kb", "46", "--out", str(out)])
    printed = capsys.readouterr()
    assert code == 0, printed.err[-2000:]
    assert "| plan | flash KB | RAM KB | accuracy | drop (pt) | fits |" in printed.out
    assert "| int8 |" in printed.out
    report = json.loads((out / "report.json").read_text())
    assert report["budget"]["flash_kb"] == 46 and report["budget"]["ram_kb"] == 256  # the device's RAM
    assert report["winner"] and [p["label"] for p in report["plans"]][0] == "int8"
    winner = next(p for p in report["plans"] if p["label"] == report["winner"])
    assert winner["size_bytes"] <= 46 * 1024 and winner["fits"] and winner["within_tolerance"]
    assert report["steps"][-1]["size_bytes"] == winner["size_bytes"]  # the engine's report of the winner
    exported = sorted(p.name for p in (out / "export").iterdir())
    assert "model_int8.tflite" in exported and any(n.endswith(".h") for n in exported)  # the device's formats
    assert "exported " in printed.out and "Traceback" not in printed.err


def test_an_impossible_fit_exits_1_naming_the_binding_line(example_run, tmp_path, capsys):
    code = main(["compress", str(example_run("digits_cnn")), "--fit-budget", "--flash-kb", "2", "--max-plans", "1",
                 "--out", str(tmp_path / "fit")])
    printed = capsys.readouterr()
    assert code == 1
    assert "nothing fits" in printed.out and "flash is the binding line" in printed.out
    assert not (tmp_path / "fit" / "export").exists()
    assert main(["compress", "x", "--fit-budget", "--device", "z80"]) == 1
    assert "unknown device 'z80'" in capsys.readouterr().err
