"""Auto-arrange: a layered, left-to-right layout that wraps into bands, like lines of text.

Columns are longest-path layers, so every link points right within a band; a link that
skips layers gets a reserved slot in each layer it crosses (a "dummy", as in Sugiyama
layouts), so the node it skips stands aside instead of sitting on it. A long graph wraps
after ``max_columns`` layers into bands stacked top to bottom, with a free lane between
bands for the links that run back to the start of the next band. Blocks with no links at
all (training techniques) go in a row of their own below the graph.

Box sizes are the canvas's (gui/canvas/items.py draws nodes with :func:`box_height` and
:data:`NODE_WIDTH`), so the layout knows the space each node takes. No Qt here.
"""
from __future__ import annotations

import math

import networkx as nx

from engine.model.document import GraphDocument

NODE_WIDTH = 190.0
HEADER_HEIGHT = 24.0
PORT_GAP = 20.0
MIN_HEIGHT = 78.0
GAP_X = 100.0              # between columns: room for a link and its shape label
COLUMN = NODE_WIDTH + GAP_X
ROW = 140.0                # between slots of one layer, centre to centre
ROW_CLEARANCE = 60.0       # at least this between stacked nodes (a lane for a link)
BAND_GAP = 56.0            # between bands: the lane of the links running back
SWEEPS = 4                 # barycentre passes (down then up) ordering each layer


def box_height(spec) -> float:
    """Height of a block's box on the canvas: a header, then a row per port (at least 3 text lines)."""
    rows = max(len(spec.inputs), len(spec.outputs), 1)
    return max(MIN_HEIGHT, HEADER_HEIGHT + 14 + rows * PORT_GAP)


def axis_offset(height: float) -> float:
    """From a box's top to its middle line, where a single port sits."""
    return HEADER_HEIGHT + (height - HEADER_HEIGHT) / 2


def columns_for_width(width: float) -> int:
    """How many layers fit side by side in ``width`` scene units (at least one)."""
    return max(1, int(math.floor((width + GAP_X) / COLUMN)))


def layered_positions(doc: GraphDocument, origin=(0.0, 0.0), max_columns: int | None = None
                      ) -> dict[str, tuple[float, float]]:
    """Top-left positions for every node: layers left to right, wrapped after ``max_columns``.

    Inside a layer, slots are ordered by the mean place of their neighbours (barycentre
    sweeps, down and up) to keep links short and uncrossed, and centred on the band's
    middle line. Bands are stacked with :data:`BAND_GAP` between their boxes.
    """
    wrap = max_columns if max_columns and max_columns > 0 else None
    slots, heights, isolated = _ordered_layers(doc, wrap)
    wrap = wrap or max(len(slots), 1)
    tallest = max(heights.values(), default=MIN_HEIGHT)
    pitch = max(ROW, tallest + ROW_CLEARANCE)
    ox, oy = float(origin[0]), float(origin[1])
    positions: dict[str, tuple[float, float]] = {}
    top = oy
    middle, used = oy, wrap
    for start in range(0, len(slots), wrap):
        band = slots[start:start + wrap]
        boxes = []  # (layer index in band, uid or None for a dummy, centre line offset, height)
        for col, members in enumerate(band):
            for i, key in enumerate(members):
                line = (i - (len(members) - 1) / 2.0) * pitch
                boxes.append((col, key if isinstance(key, str) else None, line, heights.get(key, 20.0)))
        upper = min(line - (axis_offset(h) if uid else h / 2) for _, uid, line, h in boxes)
        lower = max(line + (h - axis_offset(h) if uid else h / 2) for _, uid, line, h in boxes)
        middle = top - upper
        for col, uid, line, h in boxes:
            if uid is not None:
                positions[uid] = (ox + col * COLUMN, _tidy(middle + line - axis_offset(h)))
        top = middle + lower + BAND_GAP
        used = len(band)
    if slots and 0 < len(isolated) <= wrap - used:  # room at the end of the last band: there, on screen
        for i, uid in enumerate(isolated):
            col = wrap - len(isolated) + i
            positions[uid] = (ox + col * COLUMN, _tidy(middle - axis_offset(box_height(doc.spec(uid)))))
        return positions
    for i, uid in enumerate(isolated):
        row, col = divmod(i, wrap)
        positions[uid] = (ox + col * COLUMN, _tidy(top + row * (MIN_HEIGHT + BAND_GAP)))
    return positions


def _tidy(v: float) -> float:
    """Whole units: a file of positions should read as numbers a person would type."""
    return float(round(v))


def _ordered_layers(doc: GraphDocument, wrap: int | None):
    """(slots per layer, box heights by uid, unlinked uids).

    A slot is a node uid or, for a link skipping layers inside one band of ``wrap``
    layers, a dummy key (a tuple) standing for the link where it crosses that layer. A
    link running on to a later band takes the lane between bands instead: no slots.
    """
    graph = doc.graph
    isolated = [u for u in doc.nodes if graph.degree(u) == 0]
    layer: dict = {}
    for uid in nx.lexicographical_topological_sort(graph):
        if graph.degree(uid) == 0:
            continue
        preds = list(graph.predecessors(uid))
        layer[uid] = 1 + max(layer[p] for p in preds) if preds else 0
    heights = {uid: box_height(doc.spec(uid)) for uid in layer}
    count = 1 + max(layer.values(), default=-1)
    slots: list[list] = [[] for _ in range(count)]
    ups: dict = {uid: [] for uid in layer}
    downs: dict = {uid: [] for uid in layer}
    for uid in layer:
        slots[layer[uid]].append(uid)
    for u, v in sorted({(u, v) for u, v in graph.edges()}):
        prev = u
        same_band = wrap is None or layer[u] // wrap == layer[v] // wrap
        for crossed in range(layer[u] + 1, layer[v] if same_band else layer[u] + 1):
            dummy = ("~", u, v, crossed)
            slots[crossed].append(dummy)
            ups[dummy], downs[dummy] = [], []
            downs[prev].append(dummy)
            ups[dummy].append(prev)
            prev = dummy
        downs[prev].append(v)
        ups[v].append(prev)
    if slots:
        slots[0].sort(key=lambda k: (doc.node(k).position[1], k))
    place = {k: i for members in slots for i, k in enumerate(members)}

    def order(members, neighbours) -> None:
        def key(k):
            near = [place[n] for n in neighbours[k]]
            bary = sum(near) / len(near) if near else place[k]
            return (bary, not isinstance(k, str), str(k))
        members.sort(key=key)
        for i, k in enumerate(members):
            place[k] = i

    for sweep in range(SWEEPS):
        if sweep % 2 == 0:
            for members in slots[1:]:
                order(members, ups)
        else:
            for members in reversed(slots[:-1]):
                order(members, downs)
    return slots, heights, isolated
