"""Pasting a bad clipboard payload is one error line and changes nothing (issue 9, item 14)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication

from engine.model.project import dumps

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"


def _clip(nodes, links=()):
    return json.dumps({"format": "sprout-clip", "nodes": nodes, "links": list(links)})


DENSE = {"id": "a", "block": "core.dense", "params": {"units": 4}, "position": [0, 0]}
BAD = {
    "unknown block": _clip([{**DENSE, "block": "core.no_such_block"}]),
    "bad params": _clip([{**DENSE, "params": {"units": -1}}]),
    "link to a missing node": _clip([DENSE], [{"from": ["a", "out"], "to": ["gone", "in"]}]),
    "wrong types": _clip([{**DENSE, "position": {"x": 1}}]),
    "huge number": '{"format": "sprout-clip", "nodes": [{"id": "a", "block": "core.dense", '
                   '"params": {"units": 1' + "0" * 400 + "}}]}",
}


@pytest.fixture
def studio(window):
    window.open_path(EXAMPLES / "iris_mlp.sprout", template=True)
    return window


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_payload_shows_one_error_and_changes_nothing(studio, name):
    before, steps = dumps(studio.editor.project), studio.editor.stack.count()
    QApplication.clipboard().setText(BAD[name])
    studio.act_paste.trigger()  # an exception escaping the slot would fail the test (pytest-qt)
    assert studio.asked == ["Cannot paste"]
    message = studio.statusBar().currentMessage()
    assert message.startswith("Cannot paste: ") and "\n" not in message
    assert dumps(studio.editor.project) == before and studio.editor.stack.count() == steps


@pytest.mark.parametrize("text", ["not json {", "[1, 2, 3]", ""])
def test_text_without_blocks_is_a_status_line_only(studio, text):
    before = dumps(studio.editor.project)
    QApplication.clipboard().setText(text)
    studio.act_paste.trigger()
    assert studio.asked == [] and "Nothing to paste" in studio.statusBar().currentMessage()
    assert dumps(studio.editor.project) == before


def test_good_payload_still_pastes_and_duplicate_works(studio):
    studio.scene.select_uids(["n2"])
    studio.act_copy.trigger()
    count = len(studio.editor.doc.nodes)
    studio.act_paste.trigger()
    assert len(studio.editor.doc.nodes) == count + 1 and studio.asked == []
    studio.act_duplicate.trigger()
    assert len(studio.editor.doc.nodes) == count + 2 and studio.asked == []
