"""Groups: select blocks, make a collapsible unit, saved in the project."""
from __future__ import annotations

import json

from PySide6.QtCore import QPointF

from engine.build.compiler import compile_document
from engine.model.groups import Group
from engine.model.project import load_project
from gui.canvas.group_items import GroupFrameItem, GroupItem
from tests.conftest import EXAMPLES


def _open(window):
    window.open_path(EXAMPLES / "residual_cnn.sprout", template=True)
    return window.scene, window.editor


def test_group_collapses_members_and_reroutes_links(window):
    scene, editor = _open(window)
    scene.select_uids(["n3", "n4", "n5"])
    count = editor.stack.count()
    gid = window.actions.group_selection("Residual block")
    assert editor.stack.count() == count + 1
    box = scene.group_items[gid]
    assert isinstance(box, GroupItem) and box.isVisible()
    assert not any(scene.nodes[u].isVisible() for u in ("n3", "n4", "n5"))
    # boundary: n2 feeds n3.in and n5.in2 from outside; n5.out leaves to n6
    assert set(box.inputs) == {("n3", "in"), ("n5", "in2")} and set(box.outputs) == {("n5", "out")}
    inner = next(lk for lk in editor.doc.links() if (lk.source, lk.target) == ("n3", "n4"))
    assert not scene.links[inner].isVisible()
    crossing = next(lk for lk in editor.doc.links() if lk.target == "n6")
    assert scene.links[crossing].source is box.outputs[("n5", "out")]
    assert "3 blocks" in box.summary and "4.6k params" in box.summary
    editor.stack.undo()
    assert not scene.group_items and all(i.isVisible() for i in scene.nodes.values())


def test_expand_and_collapse_by_double_click_action(window):
    scene, editor = _open(window)
    scene.select_uids(["n3", "n4"])
    gid = window.actions.group_selection()
    scene.group_toggled.emit(gid)
    assert isinstance(scene.group_items[gid], GroupFrameItem)
    assert scene.nodes["n3"].isVisible()
    editor.stack.undo()
    assert isinstance(scene.group_items[gid], GroupItem)


def test_group_is_saved_and_reopened_collapsed(make_window, tmp_path):
    w1 = make_window()
    scene, editor = _open(w1)
    scene.select_uids(["n3", "n4", "n5"])
    w1.actions.group_selection("Residual block")
    path = tmp_path / "g.sprout"
    assert w1._save_to(path)
    saved = json.loads(path.read_text())
    assert saved["groups"] == [{"id": "g1", "title": "Residual block", "nodes": ["n3", "n4", "n5"], "collapsed": True}]
    w2 = make_window()
    assert w2.open_path(path)
    assert isinstance(w2.scene.group_items["g1"], GroupItem)
    # groups are visual: the model is the same
    p = load_project(path, w2.editor.registry)
    assert compile_document(p.document).model.count_params() == 4970


def test_moving_a_collapsed_group_moves_its_members_in_one_step(window, qtbot):
    scene, editor = _open(window)
    scene.select_uids(["n3", "n4"])
    gid = window.actions.group_selection()
    box = scene.group_items[gid]
    before = {u: editor.doc.node(u).position for u in ("n3", "n4")}
    scene._press_positions = {u: before[u] for u in scene.selected_uids()}
    scene._press_groups = {gid: (box.pos().x(), box.pos().y())}
    box.setPos(box.pos() + QPointF(40, 25))
    count = editor.stack.count()
    scene.commit_moves()
    assert editor.stack.count() == count + 1
    for u in ("n3", "n4"):
        assert editor.doc.node(u).position == (before[u][0] + 40, before[u][1] + 25)


def test_copy_paste_a_unit_and_delete_group(window):
    scene, editor = _open(window)
    scene.select_uids(["n3", "n4"])
    gid = window.actions.group_selection()
    scene.clearSelection()
    scene.group_items[gid].setSelected(True)
    assert scene.selected_uids() == ["n3", "n4"]
    window.actions.copy()
    pasted = window.actions.paste()
    assert len(pasted) == 2
    window.actions.group_selection("copy")  # the pasted pair becomes a unit of its own
    assert len(editor.project.groups) == 2
    scene.clearSelection()
    scene.group_items[gid].setSelected(True)
    window.actions.delete_selection()
    assert "n3" not in editor.doc.nodes and gid not in scene.group_items


def test_bad_groups_in_a_file_are_reported(registry, tmp_path):
    data = json.loads((EXAMPLES / "iris_mlp.sprout").read_text())
    data["groups"] = [{"id": "g1", "nodes": ["n2", "ghost"]}]
    path = tmp_path / "bad.sprout"
    path.write_text(json.dumps(data))
    import pytest

    from engine.errors import ProjectFileError
    with pytest.raises(ProjectFileError, match="group g1: no node 'ghost'"):
        load_project(path, registry)
    assert Group("g", "t").collapsed


def test_rename_a_unit_from_the_inspector(window):
    scene, editor = _open(window)
    scene.select_uids(["n3", "n4"])
    gid = window.actions.group_selection()
    scene.clearSelection()
    scene.group_items[gid].setSelected(True)  # shows the unit in the inspector
    window.inspector.group_title.setText("Two convs")
    window.inspector.group_title.editingFinished.emit()
    assert editor.project.groups[0].title == "Two convs"
    assert scene.group_items[gid].title == "Two convs"
    editor.stack.undo()
    assert editor.project.groups[0].title.startswith("Unit")
