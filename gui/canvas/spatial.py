"""Where things are on the canvas, for routing: node bodies, link lanes, labels, link bounds.

``QGraphicsScene.items(rect)`` calls every candidate item's Python ``boundingRect``; routing
asks thousands of such questions when a big graph opens, so the scene keeps its own grid
of plain rectangles instead, updated when an item moves, shows, hides or goes.
"""
from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF, QTimer

from gui.canvas import routing

CELL = 400.0


class GridIndex:
    """Rectangles (x0, y0, x1, y1) by key, found by overlap with a query rectangle."""

    def __init__(self, cell: float = CELL):
        self.cell = cell
        self._cells: dict[tuple[int, int], set] = {}
        self._where: dict = {}

    def _span(self, r):
        c = self.cell
        return [(i, j) for i in range(math.floor(r[0] / c), math.floor(r[2] / c) + 1)
                for j in range(math.floor(r[1] / c), math.floor(r[3] / c) + 1)]

    def put(self, key, rect) -> None:
        self.drop(key)
        cells = self._span(rect)
        for cell in cells:
            self._cells.setdefault(cell, set()).add(key)
        self._where[key] = (rect, cells)

    def drop(self, key) -> None:
        found = self._where.pop(key, None)
        if found is not None:
            for cell in found[1]:
                keys = self._cells.get(cell)
                if keys is not None:
                    keys.discard(key)
                    if not keys:
                        del self._cells[cell]

    def clear(self) -> None:
        self._cells.clear()
        self._where.clear()

    def query(self, r) -> list:
        """(key, rect) of every rectangle meeting ``r``."""
        seen, out = set(), []
        for cell in self._span(r):
            for key in self._cells.get(cell, ()):
                if key in seen:
                    continue
                seen.add(key)
                s = self._where[key][0]
                if s[0] <= r[2] and r[0] <= s[2] and s[1] <= r[3] and r[1] <= s[3]:
                    out.append((key, s))
        return out


def as_tuple(r: QRectF) -> routing.Rect:
    return (r.left(), r.top(), r.right(), r.bottom())


class SceneIndex:
    """A mixin of GraphScene: the grids, and routing questions answered from them."""

    def init_index(self) -> None:
        self.bodies, self.link_bounds = GridIndex(), GridIndex()
        self.lane_index, self.label_index = GridIndex(), GridIndex()
        self.batching = False  # inside a model event: links are routed once it is all over
        self._dirty_links: set = set()
        self._dirty_rects: list = []
        self._route_timer = QTimer(self)
        self._route_timer.setSingleShot(True)
        self._route_timer.setInterval(0)
        self._route_timer.timeout.connect(self.flush_routes)

    def defer_links(self, items) -> None:
        """Route these links again soon (after the current burst of model events)."""
        self._dirty_links.update(items)
        self._route_timer.start()

    def defer_rects(self, rects) -> None:
        """Route again, soon, the links that pass near ``rects`` by then."""
        self._dirty_rects.extend(as_tuple(r) for r in rects)
        self._route_timer.start()

    def flush_routes(self) -> None:
        """Route the links waiting to be routed, each once, around the nodes where they are now.

        Runs from a zero timer after a command (Arrange moves every node: one pass, not one
        per node), and before anything reads routes (picking a link, Fit to View, export).
        """
        self._route_timer.stop()
        items, rects = self._dirty_links, self._dirty_rects
        self._dirty_links, self._dirty_rects = set(), []
        pad = routing.CLEAR
        for r in rects:
            items.update(self.links_near((r[0] - pad, r[1] - pad, r[2] + pad, r[3] + pad)))
        for item in [i for i in self.links.values() if i in items]:  # in document order: deterministic
            item.update_path()

    def clear_index(self) -> None:
        for grid in (self.bodies, self.link_bounds, self.lane_index, self.label_index):
            grid.clear()
        self._dirty_links, self._dirty_rects = set(), []

    def index_body(self, item) -> None:
        """Put a node or group box in the grid where it now is (out of it when hidden or gone)."""
        if item.scene() is self and item.isVisible():
            self.bodies.put(item, as_tuple(item.body_rect()))
        else:
            self.bodies.drop(item)

    def index_link(self, item) -> None:
        """Record a link's bounds, lanes and label (nothing while it is hidden or gone)."""
        self.unindex_link(item)
        if item.scene() is not self or not item.isVisible() or item.route is None:
            return
        self.link_bounds.put(item, item.route.hull())
        for i, lane in enumerate(item.lanes()):
            self.lane_index.put((item, i), lane)
        if item.label:
            self.label_index.put(item, as_tuple(item.label_rect()))

    def unindex_link(self, item) -> None:
        self.link_bounds.drop(item)
        self.label_index.drop(item)
        for i in range(8):
            self.lane_index.drop((item, i))

    def obstacles(self, rect: routing.Rect, skip=()) -> list[routing.Rect]:
        """Bodies of the visible nodes and group boxes meeting ``rect``, less those in ``skip``."""
        return [r for item, r in self.bodies.query(rect) if item not in skip]

    def lanes(self, rect: routing.Rect, skip=None) -> list[routing.Rect]:
        """Lanes of the visible detoured links (other than ``skip``) meeting ``rect``."""
        return [r for (item, _), r in self.lane_index.query(rect) if item is not skip]

    def labels_near(self, rect: routing.Rect, skip=None) -> list[routing.Rect]:
        """Label boxes of visible links (other than ``skip``) meeting ``rect``."""
        return [r for item, r in self.label_index.query(rect) if item is not skip]

    def links_near(self, rect: routing.Rect) -> list:
        """Visible link items whose path comes near ``rect``."""
        return [item for item, _ in self.link_bounds.query(rect)]

    def reroute_all(self) -> None:
        self.defer_links(self.links.values())

    def link_near(self, pos: QPointF, radius: float):
        """The visible link item nearest ``pos`` within ``radius`` scene units, if any."""
        self.flush_routes()
        best, best_d = None, radius
        for item in self.links_near((pos.x() - radius, pos.y() - radius, pos.x() + radius, pos.y() + radius)):
            d = routing.distance((pos.x(), pos.y()), item.points())
            if d <= best_d:
                best, best_d = item, d
        return best
