"""Opening a project has no effect on disk, whatever its run records say (issue 9, item 1)."""
from __future__ import annotations

import json

import pytest

from gui.training import install_training_dock
from tests.conftest import EXAMPLES


def _tree(path):
    return sorted((str(p.relative_to(path)), p.stat().st_size if p.is_file() else -1) for p in path.rglob("*"))


@pytest.fixture
def hostile(tmp_path):
    """A project whose runs point at a folder outside it, by absolute path and by '..' ids."""
    important = tmp_path / "home" / "x"
    important.mkdir(parents=True)
    (important / "run.json").write_text("{}")  # it even looks like a run folder
    (important / "thesis.tex").write_text("years of work")
    project = json.loads((EXAMPLES / "digits_mlp.sprout").read_text())
    project["runs"] = [{"id": "x", "name": "abs", "folder": str(important)},
                       {"id": "dots", "name": "dots", "folder": "p.runs/../../home/x"}]
    path = tmp_path / "work" / "p.sprout"
    path.parent.mkdir()
    path.write_text(json.dumps(project, indent=2))
    return path, important


def test_opening_and_browsing_moves_nothing(make_window, hostile, tmp_path):
    path, important = hostile
    before, text = _tree(tmp_path), path.read_text()
    window = make_window()
    dock = install_training_dock(window)
    assert window.open_path(path)
    assert dock.controller.open_run("x")  # shown as missing, not read from elsewhere
    assert "shown as missing" in dock.message.text()
    assert not dock.controller.delete_run("x") or important.is_dir()
    assert _tree(tmp_path) == before and path.read_text() == text
    assert (important / "thesis.tex").read_text() == "years of work"


def test_save_as_brings_along_only_runs_of_its_own(make_window, hostile, tmp_path):
    path, important = hostile
    window = make_window()
    install_training_dock(window)
    assert window.open_path(path)
    copy = tmp_path / "elsewhere" / "q.sprout"
    copy.parent.mkdir()
    window.editor.save(copy)
    assert important.is_dir() and (important / "thesis.tex").is_file()
    assert not (tmp_path / "elsewhere" / "q.runs").exists()
    assert [r["folder"] for r in json.loads(copy.read_text())["runs"]] == [str(important), "p.runs/../../home/x"]


def test_a_run_id_with_separators_is_refused_on_open_and_nothing_moves(make_window, hostile, tmp_path):
    path, important = hostile
    data = json.loads(path.read_text())
    data["runs"][1]["id"] = "../../home/x"
    path.write_text(json.dumps(data))
    before = _tree(tmp_path)
    window = make_window()
    install_training_dock(window)
    errors = []
    window._error = lambda title, text: errors.append(str(text))
    assert not window.open_path(path)
    assert len(errors) == 1 and 'runs[1]' in errors[0] and "id" in errors[0]
    assert _tree(tmp_path) == before
