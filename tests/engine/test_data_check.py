"""The live check of a graph against its data (issue: mistakes caught before Train)."""
from __future__ import annotations

import json

import pytest

from engine.analysis.data_check import DataInfo, known_info
from engine.analysis.graph import analyze
from engine.model.project import parse_project
from tests.conftest import EXAMPLES


def _project(registry, name="digits_cnn", edit=None):
    data = json.loads((EXAMPLES / f"{name}.sprout").read_text())
    if edit:
        edit(data)
    return parse_project(json.dumps(data), registry)


def _errors(project):
    analysis = analyze(project.document, known_info(project.data))
    return {d.uid: d.message for d in analysis.errors}


def _dense_after_conv(data):
    """digits_cnn with Flatten, Dropout and the hidden Dense removed: Conv2D -> pool -> Dense(32) -> Output."""
    data["nodes"] = [n for n in data["nodes"] if n["id"] not in ("n6", "n7", "n8")]
    for n in data["nodes"]:
        if n["id"] == "n9":
            n["params"]["units"] = 32
    data["links"] = [lk for lk in data["links"] if lk["from"][0] not in ("n5", "n6", "n7", "n8")]
    data["links"] += [{"from": ["n5", "out"], "to": ["n9", "in"]}]


def test_every_example_passes_its_data_check(registry):
    for path in sorted(EXAMPLES.glob("*.sprout")):
        project = parse_project(path.read_text(), registry)
        assert known_info(project.data) is not None, path.name
        assert not _errors(project), (path.name, _errors(project))


def test_dense_straight_after_conv2d_is_flagged_with_the_flatten_fix(registry):
    project = _project(registry, edit=_dense_after_conv)
    assert analyze(project.document).ok  # shapes alone see nothing wrong
    errors = _errors(project)
    assert set(errors) == {"n9"}
    message = errors["n9"]
    assert "gives 2x2x32 values per sample" in message and "10 classes" in message
    assert "insert a Flatten (256 values per sample)" in message and "give it 10 units" in message


def test_wrong_class_count_suggests_the_units_and_clears_when_fixed(registry):
    def nine(data):
        for n in data["nodes"]:
            if n["id"] == "n9":
                n["params"]["units"] = 9
    project = _project(registry, edit=nine)
    assert _errors(project) == {"n9": "gives 9 values per sample, but digits has 10 classes: set its units to 10"}
    project.document.set_params("n9", {**project.document.node("n9").params, "units": 10})
    assert _errors(project) == {}


def test_input_shape_against_the_samples(registry):
    project = _project(registry, "iris_mlp")
    project.data["source"] = "wine"  # 13 features, not iris's 4
    errors = _errors(project)
    assert "set the Input's shape to (13,)" in errors["n1"]
    project = _project(registry)  # digits 8x8x1 into an Input of (64,) is reshaped by the trainer: fine
    uid = next(u for u in project.document.nodes if project.document.spec(u).role == "input")
    project.document.set_params(uid, {**project.document.node(uid).params, "shape": (64,)})
    assert uid not in _errors(project)


@pytest.mark.parametrize("source, shape, classes", [("digits", (8, 8, 1), 10), ("digits-seq", (8, 8), 10),
                                                    ("iris", (4,), 3), ("wine", (13,), 3), ("breast-cancer", (30,), 2)])
def test_embedded_info_matches_the_loaded_data(source, shape, classes):
    from engine.data.datasets import DataConfig, load_dataset

    info = known_info({"source": source})
    loaded = DataInfo.of_dataset(load_dataset(DataConfig.from_dict({"source": source})), {"source": source})
    assert info == loaded and info.sample_shape == shape and info.num_classes == classes
