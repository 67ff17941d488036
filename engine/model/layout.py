"""Auto-arrange: a layered, left-to-right layout computed with networkx."""
from __future__ import annotations

import networkx as nx

from engine.model.document import GraphDocument

COLUMN = 230.0
ROW = 140.0


def layered_positions(doc: GraphDocument, origin=(0.0, 0.0), max_columns: int | None = None
                      ) -> dict[str, tuple[float, float]]:
    """Positions putting each node one column right of its deepest input.

    Columns are longest-path layers (so every link points right); inside a column,
    nodes are ordered by the mean row of their inputs (one barycentre sweep) to keep
    links short, and the column is centred vertically. With ``max_columns``, a long
    graph wraps into bands stacked top to bottom (read like lines of text), so a deep
    chain stays legible at a normal zoom.
    """
    graph = doc.graph
    layer: dict[str, int] = {}
    for uid in nx.lexicographical_topological_sort(graph):
        preds = list(graph.predecessors(uid))
        layer[uid] = 1 + max(layer[p] for p in preds) if preds else 0
    columns: dict[int, list[str]] = {}
    for uid, col in layer.items():
        columns.setdefault(col, []).append(uid)
    row: dict[str, float] = {}
    positions: dict[str, tuple[float, float]] = {}
    tallest = max((len(m) for m in columns.values()), default=1)
    band_height = (tallest + 0.6) * ROW
    wrap = max_columns if max_columns and max_columns > 0 else len(columns) or 1
    for col in sorted(columns):
        members = columns[col]

        def barycentre(uid: str) -> float:
            preds = [row[p] for p in graph.predecessors(uid) if p in row]
            return sum(preds) / len(preds) if preds else doc.node(uid).position[1]

        members.sort(key=lambda u: (barycentre(u), u))
        for i, uid in enumerate(members):
            row[uid] = i - (len(members) - 1) / 2.0
            band, within = divmod(col, wrap)
            positions[uid] = (origin[0] + within * COLUMN, origin[1] + band * band_height + row[uid] * ROW)
    return positions
