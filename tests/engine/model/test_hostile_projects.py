"""Hostile project files (issue 9, items 4-6, 10): one ProjectFileError line, never a hang."""
from __future__ import annotations

import json
import os
import re

import pytest

from engine.errors import ProjectFileError
from engine.model import autosave
from engine.model import project as project_mod
from engine.model.project import load_project, parse_project, save_project
from tests.engine.data.hostile import needs_dev_zero, needs_fifo, needs_proc, one_line, project_text, raises_within


def _file(tmp_path, text: str, name="p.sprout"):
    path = tmp_path / name
    path.write_text(text, encoding="ascii")  # JSON escapes only: the surrogate stays an escape
    return path


_project = project_text


def _refused(path, registry) -> str:
    with pytest.raises(Exception) as info:  # noqa: PT011 - the class is checked by one_line
        load_project(path, registry)
    msg = one_line(info.value, ProjectFileError)
    assert msg.startswith(f"{path}: ")
    return msg[len(f"{path}: "):]


# -- item 5: non-regular and oversized project files ---------------------------------------

@needs_fifo
def test_fifo_as_project_is_refused_within_a_second(tmp_path, registry):
    fifo = tmp_path / "p.sprout"
    os.mkfifo(fifo)
    exc = raises_within(1.0, lambda: load_project(fifo, registry), fifo)
    assert "is a FIFO (named pipe), not a regular file" in one_line(exc, ProjectFileError)


@needs_dev_zero
def test_project_symlink_to_dev_zero_is_refused(tmp_path, registry):
    link = tmp_path / "p.sprout"
    link.symlink_to("/dev/zero")
    exc = raises_within(2.0, lambda: load_project(link, registry))
    assert "is a character device, not a regular file" in one_line(exc, ProjectFileError)


@needs_proc
def test_project_limit_counts_bytes_read_not_st_size(tmp_path, registry, monkeypatch):
    monkeypatch.setattr(project_mod, "MAX_BYTES", 100)
    link = tmp_path / "p.sprout"
    link.symlink_to("/proc/self/status")  # regular, st_size 0, a kilobyte of text
    assert "the project file is larger than 100 bytes" in _refused(link, registry)


def test_oversized_project_is_refused(tmp_path, registry, monkeypatch):
    path = _file(tmp_path, _project())
    monkeypatch.setattr(project_mod, "MAX_BYTES", 64)
    assert "the project file is larger than 64 bytes" in _refused(path, registry)


def test_folder_and_missing_file_keep_their_messages(tmp_path, registry):
    assert _refused(tmp_path, registry) == "is a folder, not a project file"
    assert _refused(tmp_path / "none.sprout", registry) == "no such project file"


# -- item 4: lone surrogates ---------------------------------------------------------------

@pytest.mark.parametrize("edit, where", [
    (lambda p: p["nodes"][1].update(title="Den\ud800se"), 'node n2: "title"'),
    (lambda p: p["nodes"][0]["params"].update(note="\udfff"), 'node n1: "params"."note"'),
    (lambda p: p["nodes"][1].update(id="n\ud800"), 'nodes[1]: "id"'),
    (lambda p: p["data"].update(source="a\ud800.csv"), '"data"."source"'),
    (lambda p: p.update(runs=[{"id": "r1", "notes": ["ok", "\ud800"]}]), '"runs"[0]."notes"[1]'),
    (lambda p: p.update(other_tool={"k\ud800": 1}), '"other_tool"."k\\ud800" (a key)'),
])
def test_lone_surrogate_is_refused_naming_where(tmp_path, registry, edit, where):
    data = json.loads(_project())
    edit(data)
    path = _file(tmp_path, json.dumps(data))  # ensure_ascii: written as the escape "\ud800"
    assert "\\ud800" in path.read_text() or "\\udfff" in path.read_text()
    msg = _refused(path, registry)
    assert msg.startswith(f"{where} ") and "contains an invalid character (a lone surrogate" in msg
    assert "\\u" in msg or "(a key)" in msg  # shown as an escape, so the line itself prints


def test_surrogate_pairs_are_fine(tmp_path, registry):
    path = _file(tmp_path, _project().replace('"Dense"', '"Dense \\ud83c\\udf31"'))
    assert load_project(path, registry).document.node("n2").title == "Dense \U0001f331"


def test_save_and_autosave_of_a_surrogate_fail_in_one_line(tmp_path, registry):
    """Defence in depth: if one reaches a document anyway, the old files are untouched."""
    target = tmp_path / "p.sprout"
    target.write_text(_project())
    project = load_project(target, registry)
    before = target.read_bytes()
    project.document.nodes["n2"].title = "bad \ud800"
    for write in (lambda: save_project(project, target),
                  lambda: autosave.write_autosave(project, autosave.autosave_path(target, tmp_path))):
        with pytest.raises(ProjectFileError, match="contains a lone surrogate.*previous file is unchanged"):
            write()
    assert target.read_bytes() == before


# -- item 6: numbers beyond float range ------------------------------------------------------

@pytest.mark.parametrize("edit, message", [
    (lambda p: p["nodes"][0].update(position=[10**400, 0]),
     r'node n1: "position"\[0\] is a number out of range \(an integer of about 401 digits'),
    (lambda p: p["nodes"][0].update(position=[0, -10**309]), r'node n1: "position"\[1\] is a number out of range'),
    (lambda p: p["nodes"][0].update(position=[1e12, 0]), r'node n1: "position" must be \[x, y\] numbers within'),
    (lambda p: p["nodes"][1]["params"].update(units=10**400), r'node n2: "params"."units" is a number out of range'),
    (lambda p: p.update(training={"epochs": 10**400}), r'"training"."epochs" is a number out of range'),
    (lambda p: p.update(version=10**400), r'"version" is a number out of range'),
    (lambda p: p.update(runs=[{"id": "r", "epochs_run": -10**400}]), r'"runs"\[0\]."epochs_run" is a number'),
])
def test_huge_numbers_are_refused_naming_where(tmp_path, registry, edit, message):
    data = json.loads(_project())
    edit(data)
    msg = _refused(_file(tmp_path, json.dumps(data)), registry)
    assert re.search(message, msg), msg


@pytest.mark.parametrize("literal, where", [("1e400", 'node n2: "params"."units"'),
                                            ("-1e999", '"training"."learning_rate"')])
def test_float_literals_that_read_as_infinity_are_refused(tmp_path, registry, literal, where):
    text = _project(training={"learning_rate": "L"}) if "training" in where else _project()
    text = text.replace('"units": 3', f'"units": {literal}') if "params" in where \
        else text.replace('"L"', literal)
    msg = _refused(_file(tmp_path, text), registry)
    assert msg.startswith(f"{where} is a number out of range (")


# -- item 10 (engine half): the data section is validated on load -----------------------------

@pytest.mark.parametrize("data, message", [
    ({"source": "iris", "val_fraction": "0.2"}, r"Expected 0 <= data.val_fraction < 0.9"),
    ({"source": "iris", "seed": -1}, r"data.seed must be between 0 and"),
    ({"source": "iris", "seed": 10**30}, r"data.seed must be between 0 and"),
    ({"source": ["iris"]}, r"data.source must be a dataset name or a path"),
    ({"source": "iris", "normalize": 1}, r"data.normalize must be true or false"),
])
def test_bad_data_section_is_refused_on_load(tmp_path, registry, data, message):
    msg = _refused(_file(tmp_path, _project(data=data)), registry)
    assert re.search(message, msg), msg


def test_parse_of_snapshot_text_checks_the_same(registry):
    with pytest.raises(ProjectFileError, match=r'^snap: node n2: "title" contains an invalid character'):
        parse_project(_project().replace('"Dense"', '"\\ud800"'), registry, source="snap")
