"""Loading links in bulk: linear in the graph, all or nothing, errors naming the link (issue 9, item 8)."""
from __future__ import annotations

import json

import networkx as nx
import pytest

from engine.errors import CycleError, OccupiedInputError, ProjectFileError
from engine.model.document import GraphDocument
from engine.model.project import parse_project
from tests.bench.bench_check import chain_text


def _chain(registry, n=3):
    doc = GraphDocument(registry)
    uids = [doc.add_node("core.dense", {"units": 4}) for _ in range(n)]
    return doc, uids


def test_bulk_links_are_added_in_order_with_events(registry):
    doc, (a, b, c) = _chain(registry)
    seen = []
    doc.subscribe(lambda e: seen.append(e.kind))
    links = doc.add_links([(b, "out", c, "in"), (a, "out", b, "in")])
    assert doc.links() == links and seen == ["link_added", "link_added"]


def test_a_cycle_names_the_last_listed_link_on_it_and_adds_nothing(registry):
    doc, (a, b, c) = _chain(registry)
    with pytest.raises(CycleError) as info:
        doc.add_links([(a, "out", b, "in"), (b, "out", c, "in"), (c, "out", a, "in")])
    assert info.value.index == 2 and f"{c} -> {a}" in str(info.value)
    assert doc.links() == []  # all or nothing


def test_an_occupied_input_inside_the_batch_is_caught(registry):
    doc, (a, b, c) = _chain(registry)
    with pytest.raises(OccupiedInputError) as info:
        doc.add_links([(a, "out", c, "in"), (b, "out", c, "in")])
    assert info.value.index == 1 and doc.links() == []


def test_loading_never_walks_the_graph_once_per_link(registry, monkeypatch):
    """The quadratic pattern was one has_path walk per link; a 4k chain in reverse must not use it."""
    def no_walks(*args, **kwargs):
        raise AssertionError("has_path called while loading")

    monkeypatch.setattr(nx, "has_path", no_walks)
    project = parse_project(chain_text(4000), registry)
    assert len(project.document.links()) == 4001


def test_a_cyclic_project_file_names_the_link(registry):
    data = json.loads(chain_text(3))
    data["links"].append({"from": ["d2", "out"], "to": ["d0", "in"]})  # d0 is fed by the Input already
    data["links"] = [lk for lk in data["links"] if lk["to"] != ["d0", "in"] or lk["from"][0] == "d2"]
    with pytest.raises(ProjectFileError, match=r"links\[\d+\]: Linking d2 -> d0 would make a cycle"):
        parse_project(json.dumps(data), registry)
