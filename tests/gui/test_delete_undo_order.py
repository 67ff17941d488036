"""Delete then Undo leaves the saved file byte for byte as it was (issue 9, item 15)."""
from __future__ import annotations

from pathlib import Path

import pytest

from engine.model.project import dumps

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"


def test_delete_a_middle_node_then_undo_gives_the_same_file(window):
    window.open_path(EXAMPLES / "digits_cnn.sprout", template=True)
    original = dumps(window.editor.project)
    uids = list(window.editor.doc.nodes)
    middle = uids[len(uids) // 2]
    window.scene.select_uids([middle])
    window.actions.delete_selection()
    assert middle not in window.editor.doc.nodes
    window.editor.stack.undo()
    assert dumps(window.editor.project) == original
    window.editor.stack.redo()
    window.editor.stack.undo()  # and again: redo and undo keep the places too
    assert dumps(window.editor.project) == original


@pytest.mark.parametrize("name", ["residual_cnn", "digits_octconv", "seq_digits_lstm"])
def test_cut_of_scattered_nodes_and_a_link_then_undo_gives_the_same_file(window, name):
    window.open_path(EXAMPLES / f"{name}.sprout", template=True)
    doc = window.editor.doc
    original = dumps(window.editor.project)
    uids = list(doc.nodes)
    chosen = uids[1::3]
    window.scene.select_uids(chosen)
    spare = next(lk for lk in doc.links() if lk.source not in chosen and lk.target not in chosen)
    window.scene.links[spare].setSelected(True)  # a selected link is deleted with the nodes
    window.actions.cut()
    assert not set(chosen) & set(doc.nodes) and spare not in doc.links()
    window.editor.stack.undo()
    assert dumps(window.editor.project) == original


def test_insert_on_a_link_then_undo_gives_the_same_file(window):
    from PySide6.QtCore import QPointF

    window.open_path(EXAMPLES / "digits_mlp.sprout", template=True)
    original = dumps(window.editor.project)
    link = window.editor.doc.links()[0]
    item = window.scene.links[link]
    middle = item.path().pointAtPercent(0.5)
    count = len(window.editor.doc.nodes)
    window.actions.add_block("core.dropout", QPointF(middle))
    assert len(window.editor.doc.nodes) == count + 1 and link not in window.editor.doc.links()  # inserted
    window.editor.stack.undo()
    assert dumps(window.editor.project) == original
