"""Editing on the canvas: drops, links, deletes, moves, copy/paste, all undoable."""
from __future__ import annotations

from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt
from PySide6.QtGui import QDropEvent
from PySide6.QtTest import QTest

from engine.model.document import Link
from gui.canvas.view import BLOCK_MIME
from gui.editing.palette import BLOCK_ROLE


def _drop(window, block, scene_pos=QPointF(0, 0)):
    mime = QMimeData()
    mime.setData(BLOCK_MIME, block.encode())
    pos = window.view.mapFromScene(scene_pos)
    event = QDropEvent(QPointF(pos), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    window.view.dropEvent(event)
    return event


def _chain(window, *blocks):
    uids = []
    for i, b in enumerate(blocks):
        _drop(window, b, QPointF(260 * i, 0))
        uids.append(list(window.editor.doc.nodes)[-1])
    for a, b in zip(uids, uids[1:]):
        assert window.scene.connect_ports(a, "out", b, "in")
    return uids


def test_palette_payload_drop_creates_node_undo_redo(window):
    item = window.palette.items["core.dense"]
    mime = window.palette.tree.mimeData([item])
    assert bytes(mime.data(BLOCK_MIME)).decode() == item.data(0, BLOCK_ROLE) == "core.dense"
    event = _drop(window, "core.dense", QPointF(100, 50))
    assert event.isAccepted()
    (uid,) = window.editor.doc.nodes
    assert window.editor.doc.node(uid).block == "core.dense" and uid in window.scene.nodes
    window.editor.stack.undo()
    assert not window.editor.doc.nodes and not window.scene.nodes
    window.editor.stack.redo()
    assert uid in window.editor.doc.nodes and uid in window.scene.nodes
    assert window.isWindowModified()


def test_palette_search_filters(window):
    window.palette.search.setText("lstm")
    visible = [b for b, item in window.palette.items.items() if not item.isHidden()]
    assert "core.lstm" in visible and "core.dense" not in visible


def test_connect_by_mouse_drag_between_ports(window, qtbot):
    a, b = _chain(window, "core.input", "core.dense")[:2]
    window.editor.stack.undo()  # remove the link made by _chain
    assert not window.editor.doc.links()
    window.view.fit_all()
    qtbot.wait(10)
    src = window.view.mapFromScene(window.scene.nodes[a].outputs["out"].scene_center())
    dst = window.view.mapFromScene(window.scene.nodes[b].inputs["in"].scene_center())
    vp = window.view.viewport()
    QTest.mousePress(vp, Qt.LeftButton, Qt.NoModifier, src)
    QTest.mouseMove(vp, QPoint((src.x() + dst.x()) // 2, src.y()))
    QTest.mouseMove(vp, dst)
    assert window.scene.nodes[b].inputs["in"].highlight is not None  # green while hovering
    QTest.mouseRelease(vp, Qt.LeftButton, Qt.NoModifier, dst)
    assert window.editor.doc.links() == [Link(a, "out", b, "in")]
    assert window.scene.nodes[b].inputs["in"].highlight is None


def test_bad_links_are_rejected_with_a_message(window, qtbot):
    a, b, c = _chain(window, "core.input", "core.dense", "core.dense")
    messages = []
    window.scene.message.connect(messages.append)
    count = window.editor.stack.count()
    assert not window.scene.connect_ports(c, "out", b, "in")   # cycle (and occupied)
    assert not window.scene.connect_ports(a, "out", c, "in")   # occupied input
    assert window.editor.stack.count() == count and len(window.editor.doc.links()) == 2
    assert "cycle" in messages[0] and "already fed by" in messages[1]
    assert not window.editor.doc.can_link(c, "out", b, "in")


def test_delete_node_with_links_and_undo_restores_links_in_order(window):
    a, b, c = _chain(window, "core.input", "core.dense", "core.dense")
    before = window.editor.doc.links()
    window.scene.select_uids([b])
    window.actions.delete_selection()
    assert b not in window.editor.doc.nodes and window.editor.doc.links() == []
    assert not window.scene.links
    window.editor.stack.undo()
    assert window.editor.doc.links() == before
    assert set(window.scene.links) == set(before)


def test_moving_is_one_undo_step(window, qtbot):
    (a,) = _chain(window, "core.dense")
    window.view.fit_all()
    qtbot.wait(10)
    item = window.scene.nodes[a]
    start = window.editor.doc.node(a).position
    p = window.view.mapFromScene(item.mapToScene(QPointF(60, 40)))
    vp = window.view.viewport()
    count = window.editor.stack.count()
    QTest.mousePress(vp, Qt.LeftButton, Qt.NoModifier, p)
    for dx in (10, 30, 60, 90):
        QTest.mouseMove(vp, QPoint(p.x() + dx, p.y() + dx // 3))
    QTest.mouseRelease(vp, Qt.LeftButton, Qt.NoModifier, QPoint(p.x() + 90, p.y() + 30))
    assert window.editor.stack.count() == count + 1
    moved = window.editor.doc.node(a).position
    assert moved != start
    window.editor.stack.undo()
    assert window.editor.doc.node(a).position == start
    assert (item.pos().x(), item.pos().y()) == start


def test_paste_of_multi_node_selection_keeps_internal_links(window):
    a, b, c = _chain(window, "core.input", "core.dense", "core.dense")
    window.editor.stack.push(__import__("gui.editing.commands", fromlist=["SetParamsCommand"]).SetParamsCommand(
        window.editor.doc, b, {"units": 7}))
    window.scene.select_uids([b, c])
    assert window.actions.copy()
    new = window.actions.paste()
    assert len(new) == 2 and not set(new) & {a, b, c}
    links = window.editor.doc.links()
    assert Link(new[0], "out", new[1], "in") in links  # internal link kept
    assert not any(lk.target == new[0] for lk in links)  # the external one is not
    assert window.editor.doc.node(new[0]).params["units"] == 7
    window.editor.stack.undo()
    assert set(window.editor.doc.nodes) == {a, b, c}
    assert window.scene.selected_uids() == []  # the pasted nodes left with the undo
    done = window.editor.stack.index()
    assert window.actions.duplicate() == [] and window.editor.stack.index() == done  # nothing selected: no-op
    window.scene.select_uids([b, c])
    dup = window.actions.duplicate()
    assert len(dup) == 2 and not set(dup) & {a, b, c} and window.editor.stack.index() == done + 1
    assert Link(dup[0], "out", dup[1], "in") in window.editor.doc.links()
    assert window.scene.selected_uids() == dup and window.editor.doc.node(dup[0]).params["units"] == 7


def test_drop_onto_a_link_inserts_the_block(window):
    a, b = _chain(window, "core.input", "core.dense")
    link = window.editor.doc.links()[0]
    mid = window.scene.links[link].path().pointAtPercent(0.5)
    _drop(window, "core.dropout", mid)
    new = list(window.editor.doc.nodes)[-1]
    assert set(window.editor.doc.links()) == {Link(a, "out", new, "in"), Link(new, "out", b, "in")}
    window.editor.stack.undo()  # one macro
    assert window.editor.doc.links() == [link] and new not in window.editor.doc.nodes


def test_arrange_lays_out_left_to_right(window):
    a, b, c = _chain(window, "core.input", "core.dense", "core.dense")
    for uid in (a, b, c):
        window.editor.doc.move_node(uid, (0, 0))
    window.actions.arrange()
    xs = [window.editor.doc.node(u).position[0] for u in (a, b, c)]
    assert xs == sorted(xs) and len(set(xs)) == 3
    window.editor.stack.undo()
    assert all(window.editor.doc.node(u).position == (0, 0) for u in (a, b, c))


def test_zoom_keys_and_fit(window):
    _chain(window, "core.input", "core.dense")
    z = window.view.zoom()
    window.act_zoom_in.trigger()
    assert window.view.zoom() > z
    window.act_fit.trigger()
    assert window.view.zoom() <= 1.0
