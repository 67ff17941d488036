"""The ``training`` and ``runs`` sections are validated on load (issue 9, item 10, engine half).

Values the loader used to accept raised later inside Qt slots (the training form, the
runs view); now each is one ProjectFileError line naming the section and the key.
"""
from __future__ import annotations

import re

import pytest

from engine.errors import ProjectFileError
from engine.model.project import dumps, load_project, parse_project
from tests.engine.data.hostile import one_line, project_text

GOOD_RUN = {"id": "20260101-120000", "name": "Run 1", "created": "2026-01-01 12:00:00",
            "folder": "p.runs/20260101-120000", "params": 35, "macs": 32, "stop_reason": "completed",
            "message": "", "epochs_run": 3, "best_epoch": None,
            "metrics": {"test": {"loss": 0.5, "accuracy": 0.9}}, "data": {"source": "iris"},
            "training": {"epochs": 3}, "notes": "other tools may add keys"}


_text = project_text


def _refused(tmp_path, registry, text: str) -> str:
    path = tmp_path / "p.sprout"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(Exception) as info:  # noqa: PT011 - the class is checked by one_line
        load_project(path, registry)
    msg = one_line(info.value, ProjectFileError)
    assert msg.startswith(f"{path}: ")
    return msg[len(f"{path}: "):]


@pytest.mark.parametrize("training, message", [
    ({"epochs": "5"}, r"^Expected 1 <= training.epochs <= 100000. Received: epochs='5'$"),
    ({"epochs": 0}, r"training.epochs"),
    ({"epochs": 2.5}, r"training.epochs"),
    ({"batch_size": True}, r"training.batch_size"),
    ({"learning_rate": "fast"}, r"training.learning_rate"),
    ({"learning_rate": 1e300}, r"training.learning_rate"),
    ({"optimizer": ["adam"]}, r"training.optimizer"),
    ({"seed": 10**30}, r"training.seed <= 2147483647. Received: seed=1000"),
    ({"epochs": 10**300}, r"Received: epochs=1000.*\.\.\.\(301 digits\)$"),
])
def test_bad_training_values_are_one_line(tmp_path, registry, training, message):
    msg = _refused(tmp_path, registry, _text(training=training))
    assert re.search(message, msg), msg


@pytest.mark.parametrize("training", [[], [{"epochs": 5}], "fast", 3])
def test_training_must_be_an_object(tmp_path, registry, training):
    msg = _refused(tmp_path, registry, _text(training=training))
    assert msg.startswith('"training" must be a JSON object, found ')


@pytest.mark.parametrize("runs", [{}, {"r1": GOOD_RUN}, "r1", 1])
def test_runs_must_be_a_list(tmp_path, registry, runs):
    assert _refused(tmp_path, registry, _text(runs=runs)).startswith('"runs" must be a JSON array, found ')


@pytest.mark.parametrize("edit, message", [
    (lambda r: "r1", r'^runs\[1\] must be a JSON object, found str$'),
    (lambda r: [r], r"^runs\[1\] must be a JSON object, found list$"),
    (lambda r: {**r, "id": "../x"}, r"^runs\[1\]: \"id\" must be a plain folder name .*found '\.\./x'$"),
    (lambda r: {**r, "id": "/tmp/x"}, r'^runs\[1\]: "id" must be a plain folder name'),
    (lambda r: {**r, "id": ".."}, r'^runs\[1\]: "id" must be a plain folder name'),
    (lambda r: {**r, "id": ""}, r'^runs\[1\]: "id" must be a plain folder name'),
    (lambda r: {**r, "id": 7}, r'^runs\[1\]: "id" must be a plain folder name .*found 7$'),
    (lambda r: {k: v for k, v in r.items() if k != "id"}, r'^runs\[1\]: "id" .*found None$'),
    (lambda r: {**r, "name": 5}, r'^runs\[1\]: "name" must be text, found 5$'),
    (lambda r: {**r, "folder": ["a"]}, r'^runs\[1\]: "folder" must be text'),
    (lambda r: {**r, "stop_reason": ["completed"]}, r'^runs\[1\]: "stop_reason" must be text'),
    (lambda r: {**r, "message": {"a": 1}}, r'^runs\[1\]: "message" must be text'),
    (lambda r: {**r, "params": "35"}, r'^runs\[1\]: "params" must be a finite number, found \'35\'$'),
    (lambda r: {**r, "macs": None}, r'^runs\[1\]: "macs" must be a finite number'),
    (lambda r: {**r, "epochs_run": True}, r'^runs\[1\]: "epochs_run" must be a finite number'),
    (lambda r: {**r, "best_epoch": "2"}, r'^runs\[1\]: "best_epoch" must be a finite number'),
    (lambda r: {**r, "metrics": [0.9]}, r'^runs\[1\]: "metrics" must be a JSON object'),
    (lambda r: {**r, "metrics": {"test": 0.9}}, r'^runs\[1\]: "metrics"."test" must be a JSON object'),
    (lambda r: {**r, "data": "iris"}, r'^runs\[1\]: "data" must be a JSON object'),
])
def test_a_bad_run_record_is_one_line_naming_it_and_the_key(tmp_path, registry, edit, message):
    msg = _refused(tmp_path, registry, _text(runs=[GOOD_RUN, edit(dict(GOOD_RUN))]))
    assert re.search(message, msg), msg


@pytest.mark.parametrize("literal", ["1e400", "-1e400", "1" + "0" * 400])
def test_a_run_with_params_beyond_float_range_is_refused(tmp_path, registry, literal):
    text = _text(runs=[{**GOOD_RUN, "params": "P"}]).replace('"P"', literal)
    msg = _refused(tmp_path, registry, text)
    assert msg.startswith('"runs"[0]."params" is a number out of range'), msg


def test_good_sections_load_and_save_unchanged(tmp_path, registry):
    text = _text(training={"epochs": 5, "batch_size": 16, "optimizer": "sgd", "learning_rate": 0.01,
                           "seed": 3, "early_stopping": 2, "ui_note": "kept"},
                 runs=[GOOD_RUN, {"id": "r2"}, {**GOOD_RUN, "id": "r3", "best_epoch": 2, "metrics": {}}])
    project = parse_project(text, registry, source="p")
    assert project.runs[0] == GOOD_RUN and project.runs[1] == {"id": "r2"}
    assert project.training["ui_note"] == "kept"
    again = parse_project(dumps(project), registry, source="p")
    assert again.runs == project.runs and again.training == project.training


def test_the_shipped_examples_still_load(registry, example_path):
    from tests.conftest import example_names

    for name in example_names():
        load_project(example_path(name), registry)
