"""Ablations end to end: a 2 x 2 run in a process pool, killed and resumed; the CLI's errors."""
from __future__ import annotations

import csv
import json
import os
import signal
import statistics
import subprocess
import sys
import time

import pytest

from tests.conftest import EXAMPLES, ROOT

ARGS = ["--vary", "param:n3.rate=0.1,0.4", "--seeds", "2", "--epochs", "2"]


def _ablate(out, *extra, **kw):
    cmd = [sys.executable, "main.py", "ablate", str(EXAMPLES / "digits_mlp.sprout"), *ARGS, "--out", str(out), *extra]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def _markers(out):
    return {p.parent.name: (p.stat().st_mtime_ns, p.read_text()) for p in (out / "runs").glob("*/ablation.json")}


def test_a_killed_ablation_resumes_and_its_table_equals_the_runs(tmp_path, registry):
    out = tmp_path / "abl"
    proc = _ablate(out, "--workers", "2", start_new_session=True)
    deadline = time.monotonic() + 300
    while not _markers(out) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)  # the parent and its pool, mid-way
    proc.wait()
    kept = _markers(out)
    assert 1 <= len(kept) < 4, kept
    resumed = _ablate(out, "--workers", "2")
    stdout, stderr = resumed.communicate(timeout=600)
    assert resumed.returncode == 0, stderr
    assert f"{4 - len(kept)} trained, {len(kept)} kept from before" in stderr
    after = _markers(out)
    assert len(after) == 4 and all(after[name] == kept[name] for name in kept)  # finished runs not redone
    with open(out / "results.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 4 and {(r["variant"], r["seed"]) for r in rows} == \
        {(v, s) for v in ("n3.rate=0.1", "n3.rate=0.4") for s in ("0", "1")}
    # Every row is its run's own test accuracy, as the run folder recorded it.
    by_run = {}
    for folder in (out / "runs").iterdir():
        if folder.is_dir():
            marker = json.loads((folder / "ablation.json").read_text())["row"]
            summary = json.loads((folder / "summary.json").read_text())
            assert summary["metrics"]["test"]["accuracy"] == pytest.approx(marker["test_accuracy"], abs=1e-12)
            by_run[(marker["variant"], str(marker["seed"]))] = marker["test_accuracy"]
    for r in rows:
        assert float(r["test_accuracy"]) == pytest.approx(by_run[(r["variant"], r["seed"])], abs=1e-6)
    accs = [by_run[("n3.rate=0.1", s)] for s in ("0", "1")]
    table = f"{100 * statistics.fmean(accs):.2f} ± {100 * statistics.stdev(accs):.2f}"
    assert table in stdout and table in (out / "summary.md").read_text()
    # ... and an independent run of one pair, in a fresh Python outside the pool, gives the same number.
    from engine.experiments.plan import Experiment, build_variants, run_text, tasks
    from engine.model.project import load_project

    project = load_project(EXAMPLES / "digits_mlp.sprout", registry)
    experiment = Experiment(("param:n3.rate=0.1,0.4",), 2, 2)
    task = next(t for t in tasks(build_variants(project, experiment), experiment)
                if t.variant.label == "n3.rate=0.1" and t.seed == 1)
    payload = {"text": run_text(task), "project_path": str(project.path), "folder": str(tmp_path / "alone"),
               "label": task.variant.label, "variant_index": task.variant.index, "seed": 1,
               "identity": task.identity, "threads": 1}  # one thread, as each of the two pool workers had
    code = "import json, sys; from engine.experiments.worker import run_task; print(json.dumps(run_task(json.loads(sys.argv[1]))))"
    alone = subprocess.run([sys.executable, "-c", code, json.dumps(payload)], cwd=ROOT, capture_output=True, text=True,
                           env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}, timeout=300)
    assert alone.returncode == 0, alone.stderr[-1500:]
    row = json.loads(alone.stdout.strip().splitlines()[-1])
    assert row["test_accuracy"] == by_run[("n3.rate=0.1", "1")]  # the same float, not merely close


def test_an_unreachable_ray_is_one_line_and_bad_specs_train_nothing(tmp_path):
    proc = _ablate(tmp_path / "r", "--ray", "ray://127.0.0.1:1")
    _, stderr = proc.communicate(timeout=300)
    errors = [ln for ln in stderr.splitlines() if ln.startswith("error:")]
    assert proc.returncode == 1 and len(errors) == 1 and ("Ray" in errors[0]) and "local pool" in errors[0]
    from main import main

    assert main(["ablate", str(EXAMPLES / "digits_mlp.sprout"), "--vary", "toggle:n99", "--out",
                 str(tmp_path / "bad")]) == 1
    assert not (tmp_path / "bad" / "runs").exists() or not any((tmp_path / "bad" / "runs").iterdir())


def test_the_same_ablation_through_a_local_ray_gives_the_same_table(tmp_path, registry):
    from engine.experiments.job import ablation_job
    from engine.experiments.plan import Experiment
    from engine.model.project import load_project

    project = load_project(EXAMPLES / "digits_mlp.sprout", registry)
    experiment = Experiment(("param:n3.rate=0.1,0.4",), 2, 1)
    pool = ablation_job(project, experiment, tmp_path / "pool", workers=2)
    ray = ablation_job(project, experiment, tmp_path / "ray", ray_address="local")

    def numbers(result):
        return sorted((r["variant"], r["seed"], r["test_accuracy"], r["test_loss"], r["params"], r["macs"])
                      for r in result.rows)

    assert len(ray.rows) == 4 and not ray.stopped
    assert numbers(ray) == numbers(pool)  # seeded, one thread a run: the same floats, not merely close
    table = [(s.label, s.accuracies, s.best, s.note) for s in ray.summaries]
    assert table == [(s.label, s.accuracies, s.best, s.note) for s in pool.summaries]
    accs = [r["test_accuracy"] for r in ray.rows]
    assert len(set(accs)) > 1  # the seeds and rates really trained different models
