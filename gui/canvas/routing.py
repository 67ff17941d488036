"""Where a link runs: an S-curve when its way is clear, else an orthogonal detour.

Pure geometry on tuples (no Qt), so it is cheap and testable. A detour leaves the output
port to the right, turns into the nearest horizontal lane free of node bodies (for a link
running back to the next band of a wrapped layout: the gap between the bands), and comes
into the input port from the left. When no lane is free, the route says so (``clear`` is
False) and the link is drawn above the nodes instead of hidden under them.
"""
from __future__ import annotations

from collections.abc import Callable

Point = tuple[float, float]
Rect = tuple[float, float, float, float]  # x0, y0, x1, y1

STUB = 18.0        # straight run out of a port before a detour turns
CLEAR = 10.0       # distance a detour keeps from node bodies
RADIUS = 10.0      # rounding of a detour's corners
LANE_SEP = 7.0     # distance between two links' parallel lanes
REACH = 600.0      # how far above and below its ends a link looks for a lane
SAMPLES = 24       # points a curve is checked (and measured) at


class Route:
    """``kind`` is "curve" (``corners`` are a, c1, c2, b) or "lanes" (corner points).

    ``points`` is a polyline close to the drawn path (hit tests, distance) and
    ``label_spots`` where the shape label may go, best first; both are worked out on
    first use (most curves are never asked).
    """

    __slots__ = ("kind", "corners", "clear", "_points", "_spots")

    def __init__(self, kind: str, corners: tuple[Point, ...], clear: bool):
        self.kind, self.corners, self.clear = kind, tuple(corners), clear
        self._points = self._spots = None

    @property
    def points(self) -> tuple[Point, ...]:
        if self._points is None:
            self._points = (tuple(_bezier(*self.corners, i / SAMPLES) for i in range(SAMPLES + 1))
                            if self.kind == "curve" else self.corners)
        return self._points

    @property
    def label_spots(self) -> tuple[Point, ...]:
        if self._spots is None:
            self._spots = (tuple(_bezier(*self.corners, t) for t in (0.5, 0.4, 0.6, 0.3, 0.7))
                           if self.kind == "curve" else _lane_spots(self.corners))
        return self._spots

    def hull(self) -> Rect:
        """A rectangle holding the whole drawn path."""
        return bounds(self.corners)


def plan(a: Point, b: Point, others: Callable[[Rect], list[Rect]], own: list[Rect] = (),
         taken: Callable[[Rect], list[Rect]] | None = None) -> Route:
    """The route from output port ``a`` to input port ``b``.

    ``others(rect)`` returns the bodies of nodes near ``rect`` that the link does not
    connect; ``own`` are the bodies of the two it does (a detour keeps clear of them too).
    ``taken(rect)`` returns the lanes other links already run along (thin rectangles): a
    detour keeps :data:`LANE_SEP` from them, so two links never share a stretch of lane.
    """
    curve = curve_route(a, b)
    forward = b[0] - a[0] >= 2 * STUB
    if forward:
        near = others(curve.hull())  # the curve stays inside its control points' hull
        if not near or not _polyline_hits(curve.points, near, 1.0):
            return curve
    window = _window(a, b)
    near = list(others(window))  # one question for every candidate: lanes and turns stay in the window
    candidates = []
    for lane_y in _lanes(a, b, window, near, own, taken(window) if taken else ()):
        corners = _corners(a, b, lane_y)
        length = sum(abs(p[0] - q[0]) + abs(p[1] - q[1]) for p, q in zip(corners, corners[1:]))
        candidates.append((length + 40 * (len(corners) - 2), corners))
    candidates.sort()
    best, best_hits = None, None
    for _, corners in candidates:  # shortest first: the first clear one is the best
        hits = sum(_segment_hits(p, q, near + list(own), CLEAR) for p, q in _inner_segments(corners))
        if best_hits is None or hits < best_hits:
            best, best_hits = corners, hits
        if hits == 0:
            break
    if best is None or (best_hits and forward):
        return Route("curve", curve.corners, False)
    return Route("lanes", best, best_hits == 0)


def _window(a: Point, b: Point) -> Rect:
    """Where a detour from a to b may run."""
    return (min(a[0], b[0]) - STUB - CLEAR, min(a[1], b[1]) - REACH - CLEAR,
            max(a[0], b[0]) + STUB + CLEAR, max(a[1], b[1]) + REACH + CLEAR)


def curve_route(a: Point, b: Point) -> Route:
    dx = max(40.0, abs(b[0] - a[0]) * 0.5)
    if b[0] < a[0]:
        dx = min(dx, 120.0)
    return Route("curve", (a, (a[0] + dx, a[1]), (b[0] - dx, b[1]), b), True)


def _bezier(a, c1, c2, b, t) -> Point:
    u = 1 - t
    return (u ** 3 * a[0] + 3 * u * u * t * c1[0] + 3 * u * t * t * c2[0] + t ** 3 * b[0],
            u ** 3 * a[1] + 3 * u * u * t * c1[1] + 3 * u * t * t * c2[1] + t ** 3 * b[1])


def _corners(a: Point, b: Point, lane_y: float) -> tuple[Point, ...]:
    sx, tx = a[0] + STUB, b[0] - STUB
    pts = [a, (sx, a[1]), (sx, lane_y), (tx, lane_y), (tx, b[1]), b]
    out: list[Point] = []
    for p in pts:  # drop repeats and middle points of straight runs
        if out and abs(p[0] - out[-1][0]) < 1e-6 and abs(p[1] - out[-1][1]) < 1e-6:
            continue
        if len(out) >= 2 and _collinear(out[-2], out[-1], p):
            out[-1] = p
            continue
        out.append(p)
    return tuple(out)


def _inner_segments(corners):
    """The route's segments, less the first and last STUB: those touch the ports' own nodes."""
    segs = list(zip(corners, corners[1:]))
    out = []
    for i, (p, q) in enumerate(segs):
        if i == 0:
            p = _toward(p, q, STUB)
        if i == len(segs) - 1 and p is not None:
            q = _toward(q, p, STUB)
        if p is not None and q is not None:
            out.append((p, q))
    return out


def _toward(p: Point, q: Point, d: float) -> Point | None:
    """The point ``d`` from p toward q (None when q is nearer than that)."""
    length = abs(q[0] - p[0]) + abs(q[1] - p[1])  # segments are axis-aligned
    if length <= d:
        return None
    t = d / length
    return (p[0] + (q[0] - p[0]) * t, p[1] + (q[1] - p[1]) * t)


def _collinear(p, q, r) -> bool:
    return (abs(p[0] - q[0]) < 1e-6 and abs(q[0] - r[0]) < 1e-6) or (abs(p[1] - q[1]) < 1e-6 and abs(q[1] - r[1]) < 1e-6)


def _lanes(a: Point, b: Point, window: Rect, near, own, taken=()) -> list[float]:
    """Candidate lane heights: its ends' own heights when free, and the middle of each free gap."""
    x0, x1 = min(a[0], b[0]) - STUB, max(a[0], b[0]) + STUB
    y0, y1 = window[1] + CLEAR, window[3] - CLEAR
    rects = [r for r in list(near) + list(own) if r[0] < x1 + CLEAR and r[2] > x0 - CLEAR]
    spans = [(r[1] - CLEAR, r[3] + CLEAR) for r in rects]
    spans += [(r[1] - LANE_SEP, r[3] + LANE_SEP) for r in taken if r[0] < x1 and r[2] > x0]
    spans.sort()
    merged: list[list[float]] = []
    for lo, hi in spans:
        if merged and lo <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])
    free = [(y0, merged[0][0])] if merged else [(y0, y1)]
    free += [(m[1], n[0]) for m, n in zip(merged, merged[1:])]
    free += [(merged[-1][1], y1)] if merged else []
    lanes = [y for y in (a[1], b[1]) if any(lo < y < hi for lo, hi in free)]
    for lo, hi in free:
        if lo <= y0:
            lanes.append(hi - 2)       # just above everything in reach
        elif hi >= y1:
            lanes.append(lo + 2)       # just below everything in reach
        else:
            lanes.append((lo + hi) / 2)
    return lanes


def _lane_spots(corners) -> tuple[Point, ...]:
    """Places along the longest horizontal run: its middle first, then toward either end."""
    p, q = max(zip(corners, corners[1:]), key=lambda pq: abs(pq[0][0] - pq[1][0]) - 1e3 * abs(pq[0][1] - pq[1][1]))
    return tuple((p[0] + (q[0] - p[0]) * t, p[1]) for t in (0.5, 0.35, 0.65, 0.2, 0.8))


def bounds(points) -> Rect:
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return (min(xs), min(ys), max(xs), max(ys))


def _polyline_hits(points, rects, margin: float) -> bool:
    return any(_segment_hits(p, q, rects, margin) for p, q in zip(points, points[1:]))


def _segment_hits(p: Point, q: Point, rects, margin: float) -> int:
    """How many of ``rects`` (grown by ``margin``) the segment p-q passes through."""
    return sum(1 for r in rects if segment_meets_rect(p, q, (r[0] - margin, r[1] - margin,
                                                             r[2] + margin, r[3] + margin)))


def segment_meets_rect(p: Point, q: Point, r: Rect) -> bool:
    """Whether segment p-q enters the open rectangle ``r`` (Liang-Barsky clipping)."""
    t0, t1 = 0.0, 1.0
    dx, dy = q[0] - p[0], q[1] - p[1]
    for edge_p, edge_q in ((-dx, p[0] - r[0]), (dx, r[2] - p[0]), (-dy, p[1] - r[1]), (dy, r[3] - p[1])):
        if edge_p == 0:
            if edge_q <= 0:
                return False
            continue
        t = edge_q / edge_p
        if edge_p < 0:
            t0 = max(t0, t)
        else:
            t1 = min(t1, t)
        if t0 >= t1:
            return False
    return True


def distance(pos: Point, points) -> float:
    """Distance from ``pos`` to the polyline ``points``."""
    best = float("inf")
    for p, q in zip(points, points[1:]):
        dx, dy = q[0] - p[0], q[1] - p[1]
        length = dx * dx + dy * dy
        t = 0.0 if length == 0 else max(0.0, min(1.0, ((pos[0] - p[0]) * dx + (pos[1] - p[1]) * dy) / length))
        cx, cy = p[0] + t * dx, p[1] + t * dy
        best = min(best, ((pos[0] - cx) ** 2 + (pos[1] - cy) ** 2) ** 0.5)
    return best
