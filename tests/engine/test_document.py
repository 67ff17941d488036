"""The graph document: events, typed link errors, undo support. No Keras, no Qt."""
from __future__ import annotations

import pytest

from engine.errors import CycleError, DuplicateLinkError, NodeError, OccupiedInputError, PortError
from engine.model.document import GraphDocument, Link


@pytest.fixture
def doc(registry):
    d = GraphDocument(registry)
    d.events = []
    d.subscribe(d.events.append)
    return d


def _chain(doc):
    a = doc.add_node("core.input", {"shape": [16]})
    b = doc.add_node("core.dense", {"units": 8})
    c = doc.add_node("core.dense", {"units": 4})
    doc.add_link(a, "out", b, "in")
    doc.add_link(b, "out", c, "in")
    return a, b, c


def test_events_fire_once_per_real_change(doc):
    uid = doc.add_node("core.dense", {"units": 8}, position=(10, 20))
    assert [e.kind for e in doc.events] == ["node_added"]
    doc.set_params(uid, {"units": 8})          # no change, no event
    doc.move_node(uid, (10, 20))               # no change, no event
    doc.set_title(uid, doc.node(uid).title)    # no change, no event
    assert len(doc.events) == 1
    doc.set_params(uid, {"units": 9})
    doc.move_node(uid, (11, 20))
    doc.set_title(uid, "Hidden")
    assert [e.kind for e in doc.events[1:]] == ["params_changed", "node_moved", "title_changed"]
    assert doc.events[1].data["units"] == 8  # the event carries the previous params


def test_link_events_and_remove_node_emits_per_link(doc):
    a, b, c = _chain(doc)
    doc.events.clear()
    removed = doc.remove_node(b)
    assert [e.kind for e in doc.events] == ["link_removed", "link_removed", "node_removed"]
    assert removed.links == [Link(a, "out", b, "in"), Link(b, "out", c, "in")]


def test_restore_node_puts_links_back_in_order(doc):
    a, b, c = _chain(doc)
    before = doc.links()
    removed = doc.remove_node(b)
    assert doc.links() == []
    doc.restore_node(removed)
    assert doc.links() == before
    assert doc.node(b).params["units"] == 8


def test_cycle_is_rejected_with_typed_error(doc):
    a, b, c = _chain(doc)
    d = doc.add_node("core.add")
    doc.add_link(c, "out", d, "in1")
    with pytest.raises(CycleError):
        doc.add_link(d, "out", b, "in")  # b.in is occupied too, but the cycle check must not run first
    with pytest.raises(CycleError, match="cycle"):
        doc.add_link(d, "out", d, "in2")
    assert not doc.can_link(d, "out", d, "in2")


def test_occupied_input_and_duplicate(doc):
    a, b, c = _chain(doc)
    other = doc.add_node("core.input", {"shape": [16]})
    with pytest.raises(OccupiedInputError, match=f"{b}.in is already fed by {a}.out"):
        doc.add_link(other, "out", b, "in")
    with pytest.raises(DuplicateLinkError):
        doc.add_link(a, "out", b, "in")
    assert not doc.can_link(other, "out", b, "in")


def test_unknown_ports_and_nodes(doc):
    a = doc.add_node("core.input")
    b = doc.add_node("core.add")
    with pytest.raises(PortError, match="no input port 'in9'"):
        doc.add_link(a, "out", b, "in9")
    with pytest.raises(PortError, match="no output port"):
        doc.add_link(b, "nope", a, "in")
    with pytest.raises(PortError):
        doc.add_link(a, "out", "ghost", "in")
    assert doc.can_link(a, "out", b, "in1")


def test_bad_params_are_typed_and_name_the_parameter(doc):
    with pytest.raises(NodeError, match=r"Expected 0 <= rate < 1 \(float\)\. Received: rate=1\.5") as info:
        doc.add_node("core.dropout", {"rate": 1.5}, uid="d1")
    assert info.value.uid == "d1" and info.value.param == "rate"
    uid = doc.add_node("core.dense")
    with pytest.raises(NodeError, match="units") as info:
        doc.set_params(uid, {"units": 0})
    assert info.value.param == "units"
    assert doc.node(uid).params["units"] == 32  # unchanged after a refused edit
    with pytest.raises(NodeError, match="Unknown block id 'core.nope'"):
        doc.add_node("core.nope")


def test_topological_order_puts_sources_first(doc):
    a, b, c = _chain(doc)
    order = doc.topological_order()
    assert order.index(a) < order.index(b) < order.index(c)
