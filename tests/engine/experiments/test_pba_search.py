"""A tiny PBA search on a local Ray (population 2), through the CLI, and its one-line errors."""
from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import EXAMPLES, ROOT


def _search(out, *args, project="digits_pba"):
    cmd = [sys.executable, "main.py", "search-pba", str(EXAMPLES / f"{project}.sprout"), *args, "--out", str(out)]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)


def test_a_tiny_search_writes_a_schedule_the_pba_block_uses(tmp_path, registry):
    out = tmp_path / "pba"
    done = _search(out, "--population", "2", "--epochs", "2", "--interval", "1")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "best member" in done.stdout
    search = json.loads((out / "search.json").read_text())
    assert search["population"] == 2 and search["quantile_fraction"] == 0.5
    assert search["perturbations"] >= 1  # with 2 members and quantile 0.5 the worse one copies the better
    assert set(search["members"]) == {"0", "1"}
    assert search["best_val_accuracy"] == max(search["members"].values()) or search["perturbations"] >= 1

    from blocks.paper.pba import load_schedule
    from engine.analysis.graph import analyze
    from engine.build.compiler import compile_document
    from engine.model.project import load_project

    schedule = load_schedule(str(out / "schedule.json"))
    assert schedule.keyframes[0][0] == 0 and schedule.keyframes[0][1] == (0,) * 60  # the search starts at zero
    assert all(0 <= e < 2 for e, _ in schedule.keyframes)
    project = load_project(EXAMPLES / "digits_pba.sprout", registry)
    node = next(n for n in project.document.nodes.values() if n.block == "paper.pba")
    project.document.set_params(node.uid, {**node.params, "schedule_file": str(out / "schedule.json")})
    assert not analyze(project.document).errors
    compiled = compile_document(project.document)
    augment = next(h.augment for uid, h in compiled.hooks if uid == node.uid)
    assert augment.schedule == schedule
    png = (out / "schedule.png").read_bytes()
    assert png.startswith(b"\x89PNG")


def test_search_errors_are_one_line(tmp_path):
    done = _search(tmp_path / "a", "--population", "2", "--epochs", "1", project="iris_mlp")
    errors = [ln for ln in done.stderr.splitlines() if ln.startswith("error:")]
    assert done.returncode == 1 and len(errors) == 1 and "images" in errors[0], done.stderr[-1500:]
    done = _search(tmp_path / "b", "--population", "1")
    assert done.returncode == 1 and "population" in done.stderr
    done = _search(tmp_path / "c", "--population", "2", "--epochs", "1", "--ray", "ray://127.0.0.1:1")
    errors = [ln for ln in done.stderr.splitlines() if ln.startswith("error:")]
    assert done.returncode == 1 and len(errors) == 1 and "Ray" in errors[0], done.stderr[-1500:]
    assert not (tmp_path / "c" / "schedule.json").exists()
