"""Parameter editors show values as they are (issue 9, item 13).

Round trip for every parameter of every block: value in -> widget -> value out
unchanged, for the defaults and for the Input shapes of every example project.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from blocks.registry import default_registry
from engine.model.project import load_project

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "resources" / "examples").glob("*.sprout"))
REGISTRY = default_registry()
PARAMS = [(spec.id, p) for spec in REGISTRY for p in spec.params]


def _example_values():
    """(example, block, param name, value) for every parameter of every node in the examples."""
    out = []
    for path in EXAMPLES:
        for node in load_project(path, REGISTRY).document.nodes.values():
            out += [(path.stem, node.block, name, value) for name, value in node.params.items()]
    return out


def _round_trip(qtbot, param, value):
    from gui.editing.param_editors import make_editor

    editor = make_editor(param)
    qtbot.addWidget(editor)
    emitted = []
    editor.edited.connect(lambda name, v: emitted.append(v))
    editor.set_value(value)
    assert emitted == []  # showing a value is not an edit
    out = editor.value()
    assert param.validate(out) == param.validate(value)
    assert type(param.validate(out)) is type(param.validate(value))
    return editor


def test_every_kind_is_covered():
    assert {p.kind for _, p in PARAMS} == {"bool", "choice", "int", "float", "tuple", "str"}


@pytest.mark.parametrize(("block", "param"), PARAMS, ids=[f"{b}.{p.name}" for b, p in PARAMS])
def test_default_round_trip(qtbot, block, param):
    _round_trip(qtbot, param, param.default)
    for choice in param.choices:  # every choice, not only the default one
        _round_trip(qtbot, param, choice)
    if param.kind == "bool":
        _round_trip(qtbot, param, not param.default)


@pytest.mark.parametrize(("example", "block", "name", "value"), _example_values(),
                         ids=lambda v: v if isinstance(v, str) else None)
def test_example_values_round_trip(qtbot, example, block, name, value):
    _round_trip(qtbot, REGISTRY.get(block).param(name), value)


@pytest.mark.parametrize("shape", [(1,), (4,), (8, 8), (28, 28, 3), (2, 3, 4, 5), (1_000_000,)])
def test_every_allowed_input_length_round_trips(qtbot, shape):
    editor = _round_trip(qtbot, REGISTRY.get("core.input").param("shape"), shape)
    assert len(editor.boxes) == len(shape)


def test_odd_floats_are_neither_rounded_nor_clamped(qtbot):
    eps = REGISTRY.get("core.batchnorm").param("epsilon")  # 0 < epsilon <= 1
    for v in (1e-7, 1.2345678e-5, 0.999999, 1.0):
        _round_trip(qtbot, eps, v)
    clip = REGISTRY.get("paper.free_adversarial").param("clip_max")  # unbounded
    for v in (-3e12, 0.0, 255.0, 7e11):
        _round_trip(qtbot, clip, v)


def _input_node(window, example):
    window.open_path(example, template=True)
    doc = window.editor.doc
    uid = next(u for u, n in doc.nodes.items() if n.block == "core.input")
    window.scene.select_uids([uid])
    return doc, uid, window.inspector.editors["shape"]


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_inspector_shows_each_example_input_shape_as_it_is(window, example):
    doc, uid, editor = _input_node(window, example)
    shape = doc.node(uid).params["shape"]
    assert [b.value() for b in editor.boxes] == list(shape)
    steps = window.editor.stack.count()
    window.inspector._load_values()  # showing it again is still no edit
    assert window.editor.stack.count() == steps and doc.node(uid).params["shape"] == shape


def test_iris_input_keeps_its_one_axis_and_axes_can_be_added_and_removed(window):
    doc, uid, editor = _input_node(window, EXAMPLES[0].parent / "iris_mlp.sprout")
    assert doc.node(uid).params["shape"] == (4,) and len(editor.boxes) == 1
    editor.boxes[0].setValue(5)  # the user touches the one box
    assert doc.node(uid).params["shape"] == (5,)
    editor.add_button.click()
    assert doc.node(uid).params["shape"] == (5, 1) and len(editor.boxes) == 2
    editor.boxes[1].setValue(3)
    assert doc.node(uid).params["shape"] == (5, 3)
    window.editor.stack.undo()  # the quick edits of one field merge into one step
    assert doc.node(uid).params["shape"] == (4,) and len(editor.boxes) == 1
    assert not editor.remove_button.isEnabled()  # (1, 4) axes: one is the least
    window.editor.stack.redo()
    assert doc.node(uid).params["shape"] == (5, 3) and len(editor.boxes) == 2
    editor.remove_button.click()
    assert doc.node(uid).params["shape"] == (5,) and len(editor.boxes) == 1


def test_add_and_remove_axis_are_separate_undo_steps_when_apart(window, monkeypatch):
    import gui.editing.commands as commands

    monkeypatch.setattr(commands, "MERGE_WINDOW_S", -1.0)  # as if the user paused between edits
    doc, uid, editor = _input_node(window, EXAMPLES[0].parent / "iris_mlp.sprout")
    for _ in range(3):
        editor.add_button.click()
    assert doc.node(uid).params["shape"] == (4, 1, 1, 1) and not editor.add_button.isEnabled()
    window.editor.stack.undo()
    assert doc.node(uid).params["shape"] == (4, 1, 1) and len(editor.boxes) == 3 and editor.add_button.isEnabled()


def test_pairs_have_no_axis_buttons(qtbot):
    editor = _round_trip(qtbot, REGISTRY.get("core.conv2d").param("kernel_size"), (5, 3))
    assert editor.add_button.isHidden() and editor.remove_button.isHidden()


def test_removed_axis_boxes_are_not_drawn_before_they_are_deleted(qtbot):
    """A box taken away waits for the event loop to be deleted; it must be hidden at once."""
    from PySide6.QtWidgets import QSpinBox

    from gui.editing.param_editors import make_editor

    param = default_registry().get("core.input").param("shape")  # default (8, 8, 1): three boxes
    editor = make_editor(param)
    qtbot.addWidget(editor)
    editor.show()
    editor.set_value((4,))
    shown = [box for box in editor.findChildren(QSpinBox) if box.isVisible()]
    assert [box.value() for box in shown] == [4]
