"""Saving keeps the file's mode; a new file gets the umask's (issue 9, item 3)."""
from __future__ import annotations

import os
import stat

from engine.model.autosave import write_autosave
from engine.model.project import load_project, save_project
from tests.conftest import EXAMPLES


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_save_and_autosave_keep_0644(registry, tmp_path):
    project = load_project(EXAMPLES / "iris_mlp.sprout", registry)
    path, side = tmp_path / "p.sprout", tmp_path / "p.sprout.autosave"
    for target in (path, side):
        target.write_text("{}")
        os.chmod(target, 0o644)
    save_project(project, path)
    write_autosave(project, side)
    assert _mode(path) == 0o644 and _mode(side) == 0o644


def test_a_new_project_file_gets_the_umask_mode(registry, tmp_path):
    project = load_project(EXAMPLES / "iris_mlp.sprout", registry)
    old = os.umask(0o022)
    try:
        save_project(project, tmp_path / "new.sprout")
    finally:
        os.umask(old)
    assert _mode(tmp_path / "new.sprout") == 0o644
