"""The layered Arrange layout: bands like lines of text, room for labels, skipped nodes aside."""
from __future__ import annotations

import pytest

from engine.model.document import GraphDocument
from engine.model.layout import (
    BAND_GAP,
    COLUMN,
    GAP_X,
    NODE_WIDTH,
    box_height,
    columns_for_width,
    layered_positions,
)


@pytest.fixture
def doc(registry):
    return GraphDocument(registry)


def _chain(doc, n):
    uids = [doc.add_node("core.input", {"shape": [4]})]
    uids += [doc.add_node("core.dense", {"units": 4}) for _ in range(n - 2)]
    uids.append(doc.add_node("core.output"))
    for a, b in zip(uids, uids[1:]):
        doc.add_link(a, "out", b, "in")
    return uids


def _box(doc, pos, uid):
    x, y = pos[uid]
    return (x, y, x + NODE_WIDTH, y + box_height(doc.spec(uid)))


def _overlap(r, s, gap=0.0):
    return r[0] < s[2] + gap and s[0] < r[2] + gap and r[1] < s[3] + gap and s[1] < r[3] + gap


def test_a_long_chain_wraps_into_bands_read_left_to_right(doc):
    uids = _chain(doc, 16)
    pos = layered_positions(doc, max_columns=3)
    xs = sorted({x for x, _ in pos.values()})
    assert xs == [0.0, COLUMN, 2 * COLUMN]  # three columns, GAP_X apart: room for a shape label
    bands = [uids[i:i + 3] for i in range(0, 16, 3)]
    for band in bands:
        assert [pos[u][0] for u in band] == xs[:len(band)]  # each band reads left to right
        assert len({pos[u][1] for u in band}) == 1  # on one line
    for upper, lower in zip(bands, bands[1:]):  # stacked, with a free lane between them
        assert pos[lower[0]][1] - (pos[upper[0]][1] + box_height(doc.spec(upper[0]))) == BAND_GAP
    boxes = [_box(doc, pos, u) for u in uids]
    assert not any(_overlap(r, s, 1.0) for i, r in enumerate(boxes) for s in boxes[i + 1:])


def test_without_a_wrap_everything_is_one_band(doc):
    uids = _chain(doc, 6)
    pos = layered_positions(doc)
    assert [pos[u][0] for u in uids] == [i * COLUMN for i in range(6)]
    assert len({pos[u][1] for u in uids}) == 1


def test_a_skipped_node_stands_aside_of_the_link_skipping_it(doc):
    a = doc.add_node("core.input", {"shape": [4]})
    b = doc.add_node("core.dense", {"units": 4})
    c = doc.add_node("core.dense", {"units": 4})
    add = doc.add_node("core.add")
    doc.add_link(a, "out", b, "in")
    doc.add_link(b, "out", c, "in")
    ports = [p.name for p in doc.spec(add).inputs]
    doc.add_link(c, "out", add, ports[0])
    doc.add_link(a, "out", add, ports[1])  # skips b and c
    pos = layered_positions(doc, max_columns=6)
    line = pos[a][1] + 51  # the input's port line (axis of a 78-high box)
    for skipped in (b, c):
        top, bottom = pos[skipped][1], pos[skipped][1] + box_height(doc.spec(skipped))
        assert not top - 10 < line < bottom + 10  # the straight skip link passes clear of it


def test_unlinked_blocks_go_at_the_end_of_the_last_band_or_in_a_row_below(doc):
    uids = _chain(doc, 4)  # bands of 3 and 1: two free columns at the end
    lr = doc.add_node("paper.cyclic_lr")
    pos = layered_positions(doc, max_columns=3)
    assert pos[lr] == (2 * COLUMN, pos[uids[3]][1])  # the last band's far end, on its line
    pba, adv = doc.add_node("paper.pba"), doc.add_node("paper.free_adversarial")
    pos = layered_positions(doc, max_columns=3)  # three of them: no room, a row below
    lowest = max(pos[u][1] + box_height(doc.spec(u)) for u in uids)
    assert [pos[u] for u in (lr, pba, adv)] == [(i * COLUMN, lowest + BAND_GAP) for i in range(3)]


def test_the_layout_is_deterministic_and_in_whole_units(doc):
    _chain(doc, 9)
    first = layered_positions(doc, origin=(40, 40), max_columns=4)
    assert first == layered_positions(doc, origin=(40, 40), max_columns=4)
    assert all(float(v).is_integer() for p in first.values() for v in p)
    assert min(x for x, _ in first.values()) == 40 and min(y for _, y in first.values()) == 40


def test_columns_for_width():
    assert columns_for_width(0) == 1
    assert columns_for_width(NODE_WIDTH) == 1
    assert columns_for_width(3 * NODE_WIDTH + 2 * GAP_X) == 3
    assert columns_for_width(3 * NODE_WIDTH + 2 * GAP_X - 1) == 2
