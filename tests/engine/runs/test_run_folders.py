"""Run records are data: they never steer Sprout to move, copy or delete other folders (issue 9, item 1)."""
from __future__ import annotations

import json

import pytest

from engine.runs import store as runs


def _fake_run(root, run_id):
    folder = root / run_id
    folder.mkdir(parents=True)
    (folder / "run.json").write_text(json.dumps({"id": run_id}))
    return folder


def _tree(path):
    return sorted(str(p.relative_to(path)) for p in path.rglob("*"))


@pytest.mark.parametrize("value, ok", [
    ("20261201-101500", True), ("r1", True), ("../../x", False), ("..", False), (".", False), ("a/b", False),
    ("a\\b", False), ("", False), (".hidden", False), ("x" * 121, False), (None, False), (3, False), ("a\0b", False),
])
def test_run_ids_are_plain_names(value, ok):
    assert runs.is_run_id(value) is ok


def test_only_our_run_folders_resolve(tmp_path):
    project = tmp_path / "work" / "p.sprout"
    untitled = tmp_path / "app" / "untitled-runs"
    assert runs.folder_of({"id": "r1", "folder": "p.runs/r1"}, project, untitled) == (tmp_path / "work/p.runs/r1")
    assert runs.folder_of({"id": "r1", "folder": "old.runs/r1"}, project, untitled) is not None  # renamed file
    assert runs.folder_of({"id": "r1", "folder": str(untitled / "r1")}, project, untitled) == untitled / "r1"
    for record in ({"id": "r1", "folder": "/etc"}, {"id": "../../x", "folder": "p.runs/../../x"},
                   {"id": "r1", "folder": "p.runs/../../r1"}, {"id": "r1", "folder": "elsewhere/r1"},
                   {"id": "r1", "folder": str(tmp_path / "important" / "r1")}, {"id": "r1", "folder": 5},
                   {"id": "r1", "folder": "p.runs/r2"}):
        assert runs.folder_of(record, project, untitled) is None, record


def test_adopting_never_moves_a_folder_that_is_not_ours(tmp_path):
    important = _fake_run(tmp_path / "home", "x")  # looks like a run, but lives elsewhere
    (important / "thesis.tex").write_text("years of work")
    untitled = tmp_path / "app" / "untitled-runs"
    project = tmp_path / "work" / "p.sprout"
    project.parent.mkdir()
    before = _tree(tmp_path)
    records = [{"id": "x", "folder": str(important)}, {"id": "../../home/x", "folder": "p.runs/../../home/x"},
               {"id": "x", "folder": "../home/x"}]
    new, changed = runs.adopt_runs(records, None, project, untitled)
    assert new == records and not changed
    new, changed = runs.adopt_runs(records, project, tmp_path / "other" / "q.sprout", untitled)
    assert new == records and not changed
    assert _tree(tmp_path) == before and (important / "thesis.tex").read_text() == "years of work"


def test_deleting_a_record_that_points_elsewhere_deletes_nothing(tmp_path):
    stranger = _fake_run(tmp_path / "home", "r1")
    project = tmp_path / "work" / "p.sprout"
    left = runs.delete_run([{"id": "r1", "folder": str(stranger)}], "r1", project, None)
    assert left == [] and stranger.is_dir()
