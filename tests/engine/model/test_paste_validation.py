"""A clipboard payload is checked as strictly as a project file (issue 9, item 14)."""
from __future__ import annotations

import json

import pytest

from engine.errors import SproutError
from engine.model.clipboard import copy_nodes, plan_paste
from engine.model.document import GraphDocument
from engine.model.project import MAX_COORDINATE


def _clip(nodes, links=()):
    return json.dumps({"format": "sprout-clip", "nodes": nodes, "links": list(links)})


def _dense(uid="a", **params):
    return {"id": uid, "block": "core.dense", "params": params, "position": [0, 0], "title": uid}


BAD = {
    "unknown block": _clip([{"id": "a", "block": "core.no_such_block"}]),
    "unknown param": _clip([_dense(colour="red")]),
    "param out of range": _clip([_dense(units=-3)]),
    "param of the wrong type": _clip([_dense(units="many")]),
    "huge integer param": '{"format": "sprout-clip", "nodes": [{"id": "a", "block": "core.dense", '
                          '"params": {"units": ' + "9" * 400 + "}}]}",
    "infinite position": '{"format": "sprout-clip", "nodes": [{"id": "a", "block": "core.dense", '
                         '"position": [1e400, 0]}]}',
    "huge integer position": _clip([{**_dense(), "position": [10 ** 30, 0]}]),
    "NaN in params": '{"format": "sprout-clip", "nodes": [{"id": "a", "block": "core.dropout", '
                     '"params": {"rate": NaN}}]}',
    "link to a missing node": _clip([_dense("a")], [{"from": ["a", "out"], "to": ["zz", "in"]}]),
    "link to a missing port": _clip([_dense("a"), _dense("b")], [{"from": ["a", "out"], "to": ["b", "in7"]}]),
    "cycle": _clip([_dense("a"), {**_dense("b"), "block": "core.add"}],
                   [{"from": ["a", "out"], "to": ["b", "in1"]}, {"from": ["b", "out"], "to": ["a", "in"]}]),
    "duplicate id": _clip([_dense("a"), _dense("a")]),
    "nodes not a list": _clip("a"),
    "node not an object": _clip([["a", "core.dense"]]),
    "id not text": _clip([{**_dense(), "id": 7}]),
    "params not an object": _clip([{**_dense(), "params": [1, 2]}]),
    "position not a pair": _clip([{**_dense(), "position": "here"}]),
    "title not text": _clip([{**_dense(), "title": 5}]),
    "link not an object": _clip([_dense("a")], [["a", "out", "b", "in"]]),
    "link end not a pair": _clip([_dense("a"), _dense("b")], [{"from": "a", "to": ["b", "in"]}]),
    "lone surrogate title": _clip([{**_dense(), "title": "\ud800"}]),
}


@pytest.fixture
def doc(registry):
    d = GraphDocument(registry)
    d.add_node("core.input", {"shape": [4]}, uid="n1")
    return d


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_payload_is_refused_in_one_line_and_changes_nothing(doc, name):
    events = []
    doc.subscribe(events.append)
    with pytest.raises(SproutError, match="^Cannot paste: ") as info:
        plan_paste(doc, BAD[name])
    assert "\n" not in str(info.value) and len(str(info.value)) < 400
    assert type(info.value).__name__ == "PasteError"
    assert list(doc.nodes) == ["n1"] and events == []


@pytest.mark.parametrize("text", ["", "not json {", "[1, 2]", '"text"', '{"format": "sprout", "nodes": []}',
                                  "[" * 100_000])
def test_text_that_is_no_payload_is_none(doc, text):
    assert plan_paste(doc, text) is None


def test_oversized_payload_is_refused_before_parsing(doc, monkeypatch):
    import engine.model.clipboard as clipboard

    monkeypatch.setattr(clipboard, "MAX_CHARS", 100)
    with pytest.raises(clipboard.PasteError, match="characters"):
        plan_paste(doc, _clip([_dense(str(i)) for i in range(10)]))


def test_valid_payload_gets_fresh_ids_validated_params_and_its_links(doc):
    d2 = GraphDocument(doc.registry)
    a = d2.add_node("core.input", {"shape": [4]}, uid="n1")
    b = d2.add_node("core.dense", {"units": 3}, position=(10, 20), uid="n2")
    d2.add_link(a, "out", b, "in")
    nodes, links = plan_paste(doc, copy_nodes(d2, [a, b]))
    new = [n["uid"] for n in nodes]
    assert len(set(new)) == 2 and not set(new) & set(doc.nodes)  # n1 is taken in the target
    assert nodes[0]["params"]["shape"] == (4,) and nodes[1]["position"] == (50.0, 60.0)
    assert links == [(new[0], "out", new[1], "in")]


def test_pasted_positions_stay_within_what_a_file_may_hold(doc):
    nodes, _ = plan_paste(doc, _clip([{**_dense(), "position": [MAX_COORDINATE, -MAX_COORDINATE]}]))
    assert nodes[0]["position"] == (MAX_COORDINATE, -MAX_COORDINATE + 40)
