"""Delete then undo restores the node order and the link order (issue 9, item 15)."""
from __future__ import annotations

from pathlib import Path

import pytest

from engine.model.document import Link
from engine.model.project import dumps, load_project

EXAMPLES = sorted((Path(__file__).resolve().parents[3] / "resources" / "examples").glob("*.sprout"))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_remove_then_restore_every_node_keeps_the_file_text(path, registry):
    project = load_project(path, registry)
    original = dumps(project)
    for uid in list(project.document.nodes):
        project.document.restore_node(project.document.remove_node(uid))
        assert dumps(project) == original, f"{path.name}: restoring {uid} moved something"


def test_restoring_several_nodes_in_reverse_order_keeps_both_orders(registry):
    project = load_project(EXAMPLES[0].parent / "residual_cnn.sprout", registry)
    doc, original = project.document, dumps(project)
    uids = list(doc.nodes)
    chosen = uids[1::2]  # neighbours of one another's links, spread over the order
    removed = [doc.remove_node(u) for u in chosen]
    assert not set(chosen) & set(doc.nodes)
    for r in reversed(removed):
        doc.restore_node(r)
    assert list(doc.nodes) == uids and dumps(project) == original


def test_restore_link_takes_its_old_place(registry):
    project = load_project(EXAMPLES[0].parent / "digits_mlp.sprout", registry)
    doc = project.document
    before = doc.links()
    middle: Link = before[len(before) // 2]
    order = doc.remove_link(middle)
    doc.restore_link(middle, order)
    assert doc.links() == before
