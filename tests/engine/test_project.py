"""The .sprout file: round trip, validation messages, atomic save, fuzzed loading."""
from __future__ import annotations

import json
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.errors import ProjectFileError
from engine.model import project as project_mod
from engine.model.project import dumps, load_project, parse_project, save_project
from tests.conftest import example_names


@pytest.mark.parametrize("name", example_names())
def test_round_trip_is_identical(name, registry, example_path, tmp_path):
    p = load_project(example_path(name), registry)
    save_project(p, tmp_path / "copy.sprout")
    again = load_project(tmp_path / "copy.sprout", registry)
    assert dumps(again) == dumps(p)
    original = json.loads(example_path(name).read_text())
    assert json.loads(dumps(again))["nodes"] == original["nodes"]
    assert json.loads(dumps(again))["links"] == original["links"]


def test_unknown_keys_survive_and_defaults_fill_in(registry, tmp_path):
    text = json.dumps({"format": "sprout", "version": 1, "other_tool": {"x": 1},
                       "nodes": [{"id": "a", "block": "core.dense"}], "links": []})
    p = parse_project(text, registry)
    assert p.document.node("a").params["units"] == 32
    assert json.loads(dumps(p))["other_tool"] == {"x": 1}


@pytest.mark.parametrize("text, message", [
    ('{"format": "sprout", "version": 1, "nodes": [', "truncated"),
    ("", "empty"),
    ('[1, 2]', "expected a JSON object"),
    ('{"format": "other", "version": 1}', "not a Sprout project"),
    ('{"format": "sprout", "version": 99}', "newer Sprout"),
    ('{"format": "sprout", "version": 1, "nodes": [{"id": "a", "block": "core.nope"}]}',
     "node a: Unknown block id 'core.nope'"),
    ('{"format": "sprout", "version": 1, "nodes": [{"id": "d", "block": "core.dropout", "params": {"rate": 1.5}}]}',
     r"node d: Expected 0 <= rate < 1 \(float\)\. Received: rate=1\.5"),
    ('{"format": "sprout", "version": 1, "nodes": [{"id": "a", "block": "core.dense"},'
     ' {"id": "b", "block": "core.dense"}], "links": [{"from": ["a", "out"], "to": ["b", "in"]},'
     ' {"from": ["b", "out"], "to": ["a", "in"]}]}', r"links\[1\]: Linking b -> a would make a cycle"),
    ('{"format": "sprout", "version": 1, "nodes": [{"id": "a", "block": "core.input"},'
     ' {"id": "c", "block": "core.input"}, {"id": "b", "block": "core.dense"}], "links": ['
     '{"from": ["a", "out"], "to": ["b", "in"]}, {"from": ["c", "out"], "to": ["b", "in"]}]}',
     r"Input b\.in is already fed by a\.out"),
    ('{"format": "sprout", "version": 1, "nodes": [{"id": "a", "block": "core.dense", "position": [NaN, 0]}]}',
     "NaN is not allowed"),
])
def test_bad_files_get_one_clear_message(text, message, registry, tmp_path):
    path = tmp_path / "bad.sprout"
    path.write_text(text)
    with pytest.raises(ProjectFileError, match=message) as info:
        load_project(path, registry)
    assert str(path) in str(info.value)


def test_binary_garbage_and_missing_file(registry, tmp_path):
    path = tmp_path / "bin.sprout"
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ProjectFileError, match="not UTF-8"):
        load_project(path, registry)
    with pytest.raises(ProjectFileError, match="no such project file"):
        load_project(tmp_path / "missing.sprout", registry)


def test_failed_save_leaves_previous_file_intact(registry, example_path, tmp_path, monkeypatch):
    target = tmp_path / "model.sprout"
    p = load_project(example_path("digits_cnn"), registry)
    save_project(p, target)
    before = target.read_bytes()
    p.document.set_params("n2", {"filters": 8})

    def crash(*args):  # the machine dies between writing the temp file and the rename
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(project_mod.os, "replace", crash)
    with pytest.raises(ProjectFileError, match="previous file is unchanged"):
        save_project(p, target)
    assert target.read_bytes() == before
    assert os.listdir(tmp_path) == ["model.sprout"]  # no temp file left behind


def test_save_during_fsync_failure_leaves_file(registry, example_path, tmp_path, monkeypatch):
    target = tmp_path / "model.sprout"
    p = load_project(example_path("iris_mlp"), registry)
    save_project(p, target)
    before = target.read_bytes()
    monkeypatch.setattr(project_mod.os, "fsync", lambda fd: (_ for _ in ()).throw(OSError(5, "I/O error")))
    with pytest.raises(ProjectFileError):
        save_project(p, target)
    assert target.read_bytes() == before


# -- property-based: whatever the bytes, loading raises only ProjectFileError ---------------

_json = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4),
    max_leaves=12)


@st.composite
def mutated_projects(draw):
    from tests.conftest import EXAMPLES
    base = json.loads((EXAMPLES / draw(st.sampled_from(example_names()))).with_suffix(".sprout").read_text())
    op = draw(st.sampled_from(["node_field", "link_field", "top_field", "drop", "truncate", "bytes", "swap"]))
    if op == "node_field" and base["nodes"]:
        node = draw(st.sampled_from(base["nodes"]))
        key = draw(st.sampled_from(["id", "block", "params", "position", "title", "extra"]))
        node[key] = draw(_json)
        if key == "params" and isinstance(node[key], dict) and draw(st.booleans()):
            node[key] = {draw(st.sampled_from(["units", "rate", "shape", "filters", "kernel_size", "activation",
                                               "padding", "axis"])): draw(_json)}
    elif op == "link_field" and base["links"]:
        link = draw(st.sampled_from(base["links"]))
        link[draw(st.sampled_from(["from", "to"]))] = draw(_json)
    elif op == "top_field":
        base[draw(st.sampled_from(["format", "version", "nodes", "links", "data", "runs", "training"]))] = draw(_json)
    elif op == "drop" and base["nodes"]:
        base["nodes"].pop(draw(st.integers(0, len(base["nodes"]) - 1)))
    elif op == "swap" and len(base["links"]) > 1:
        i = draw(st.integers(0, len(base["links"]) - 1))
        base["links"][i]["from"], base["links"][i]["to"] = base["links"][i]["to"], base["links"][i]["from"]
    text = json.dumps(base).encode()
    if op == "truncate":
        return text[: draw(st.integers(0, len(text)))]
    if op == "bytes":
        pos = draw(st.integers(0, len(text) - 1))
        return text[:pos] + draw(st.binary(min_size=1, max_size=4)) + text[pos + 1:]
    return text


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_projects())
def test_fuzzed_files_raise_only_project_errors(registry, raw):
    try:
        project = parse_project(raw, registry, source="fuzz.sprout")
    except ProjectFileError as exc:
        assert str(exc).startswith("fuzz.sprout: ")
        return
    dumps(project)  # whatever loads must also save


@settings(max_examples=150, deadline=None)
@given(st.one_of(st.binary(max_size=200), _json.map(lambda v: json.dumps(v).encode())))
def test_random_bytes_and_json_raise_only_project_errors(registry, raw):
    try:
        parse_project(raw, registry, source="fuzz.sprout")
    except ProjectFileError:
        pass


def test_legacy_block_ids_and_migrations_resolve(registry, monkeypatch):
    from dataclasses import replace

    from blocks.registry import Registry

    dense = replace(registry.get("core.dense"), legacy_ids=("old.fully_connected",))
    tiny = Registry([registry.get("core.input"), dense])
    monkeypatch.setitem(project_mod.MIGRATIONS, 0, lambda d: {**d, "version": 1, "nodes": d["layers"]})
    text = json.dumps({"format": "sprout", "version": 0,
                       "layers": [{"id": "a", "block": "old.fully_connected", "params": {"units": 3}}]})
    p = parse_project(text, tiny)
    assert p.document.node("a").block == "core.dense"
    assert json.loads(dumps(p))["version"] == 1
