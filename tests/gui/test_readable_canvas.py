"""Issue 15, "first sight in the studio": graphs readable on open (points 2, 4, 5 and 8).

Fit to View keeps node titles readable (it scrolls rather than shrink them), every shipped
example opens with each link and its shape label in plain sight, links are routed around
the nodes they do not connect, a block dragged near a link highlights it and is inserted,
and canvas messages name nodes by title. Writes two screenshots to tests/artifacts/.
"""
from __future__ import annotations

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt
from PySide6.QtGui import QDragMoveEvent, QDropEvent, QFont, QFontMetricsF, QPainterPathStroker

from engine.model.layout import layered_positions
from engine.model.project import load_project
from gui.canvas.items import NODE_W, TITLE_PT
from gui.canvas.scene import GraphScene
from gui.canvas.view import BLOCK_MIME, MIN_TITLE_PX, GraphView
from gui.editing.actions import EditActions
from gui.editing.editor import Editor
from tests.conftest import EXAMPLES, ROOT

EXAMPLE_FILES = sorted(EXAMPLES.glob("*.sprout"))
SIZES = [(800, 500), (600, 400)]  # about the canvas of the main window at 1400x860 and smaller


@pytest.fixture
def canvas(qtbot, tmp_path):
    """make(path=None, size=(800, 500)) -> (editor, scene, view, actions) for a bare canvas."""
    made = []

    def make(path=None, size=(800, 500)):
        editor = Editor(autosave_folder=tmp_path / "autosave")
        if path is not None:
            editor.open_project(path)
        scene = GraphScene(editor)
        view = GraphView(scene)
        view.resize(*size)
        qtbot.addWidget(view)
        view.show()
        qtbot.waitExposed(view)
        actions = EditActions(editor, scene)
        view.block_dropped.connect(actions.add_block)  # as the main window wires it
        made.append(editor)
        return editor, scene, view, actions

    yield make
    for editor in made:
        editor.stack.setClean()


def _title_font() -> QFont:
    font = QFont()
    font.setBold(True)
    font.setPointSizeF(TITLE_PT)
    return font


def _bodies(scene):
    return {uid: item.body_rect() for uid, item in scene.nodes.items() if item.isVisible()}


def _crossings(scene):
    """(link, node) pairs where a link's drawn path passes over the body of a node it does not connect."""
    scene.flush_routes()
    stroker = QPainterPathStroker()
    stroker.setWidth(2.0)
    out = []
    for link, item in scene.links.items():
        stroke = item.mapToScene(stroker.createStroke(item.path()))
        for uid, body in _bodies(scene).items():
            if uid not in (link.source, link.target) and stroke.intersects(body):
                out.append((f"{link.source}->{link.target}", uid))
    return out


# -- Fit to View: titles readable, scrolling instead of shrinking -------------------------
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_fit_to_view_shows_digits_cnn_titles_at_a_readable_scale(canvas, size):
    editor, scene, view, _ = canvas(EXAMPLES / "digits_cnn.sprout", size)
    view.fit_all()
    zoom = view.zoom()
    assert TITLE_PT * zoom >= MIN_TITLE_PX >= 8.0  # title point size x view scale
    dpi = view.logicalDpiY()
    assert QFontMetricsF(_title_font()).height() * zoom >= 8.0  # and in real pixels, at dpi
    assert TITLE_PT * dpi / 72 * zoom >= 8.0
    metrics = QFontMetricsF(_title_font())
    for item in scene.nodes.values():  # each whole title fits its header: none elided
        assert metrics.horizontalAdvance(item.title) <= NODE_W - 20, item.title
    visible = view.mapToScene(view.viewport().rect()).boundingRect()
    first = scene.nodes["n1"].body_rect()
    assert visible.contains(first)  # the graph's start is on screen
    if size == (800, 500):  # at the main window's canvas size, all of it, no scrolling needed
        for uid, body in _bodies(scene).items():
            assert visible.contains(body), uid
    else:  # smaller: it scrolls instead of shrinking; everything is within scrolling reach
        assert all(view.sceneRect().contains(b) for b in _bodies(scene).values())


def test_fit_to_view_scrolls_a_graph_too_big_to_read_whole(canvas):
    editor, scene, view, actions = canvas(size=(600, 400))
    for i in range(30):
        editor.doc.add_node("core.dense", {"units": 4}, position=(i * 300.0, 0.0))
    view.fit_all()
    assert view.zoom() == pytest.approx(view.readable_zoom())
    visible = view.mapToScene(view.viewport().rect()).boundingRect()
    assert visible.contains(scene.nodes["n1"].body_rect())  # scrolled to the start
    assert not visible.contains(scene.nodes["n30"].body_rect())
    view.zoom_by(10.0)
    view.fit_all()
    assert view.zoom() <= 1.0


# -- every example, opened: links and labels in plain sight -------------------------------
@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.stem)
def test_every_example_opened_shows_every_link_and_label(canvas, path):
    editor, scene, view, _ = canvas(path)
    view.fit_all()
    assert scene.links and len(scene.links) == len(editor.doc.links())
    assert _crossings(scene) == []  # no link passes under a node it does not connect
    bodies = list(_bodies(scene).values())
    assert not any(a.intersects(b) for i, a in enumerate(bodies) for b in bodies[i + 1:])  # no node on another
    labels = []
    for link, item in scene.links.items():
        assert item.route.clear, link
        assert item.label, link  # the analysis gave it a shape
        box = item.label_rect()
        assert not any(box.intersects(b) for b in bodies), (link, item.label)  # never cut by a node
        labels.append(box)
    assert not any(a.intersects(b) for i, a in enumerate(labels) for b in labels[i + 1:])


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.stem)
def test_example_positions_are_what_arrange_makes_on_an_800_px_canvas(canvas, registry, path):
    _, _, view, _ = canvas(size=(800, 500))
    columns = view.arrange_columns()
    assert columns == 3
    doc = load_project(path, registry).document
    stored = {uid: n.position for uid, n in doc.nodes.items()}
    assert layered_positions(doc, max_columns=columns) == stored  # regenerate: see relayout_examples()


def test_links_are_drawn_above_nodes_when_no_way_round_exists(canvas, registry):
    editor, scene, view, _ = canvas()
    doc = editor.doc
    a = doc.add_node("core.input", {"shape": [4]}, position=(0, 0))
    b = doc.add_node("core.dense", {"units": 4}, position=(180, 0))  # overlapping, as the old examples did
    c = doc.add_node("core.output", position=(360, 0))
    doc.add_link(a, "out", b, "in")
    doc.add_link(b, "out", c, "in")
    scene.flush_routes()
    for item in scene.links.values():
        assert item.route.clear or item.zValue() > scene.nodes[b].zValue()  # never hidden under a node


# -- Arrange -----------------------------------------------------------------------------
def test_arrange_wraps_a_long_chain_without_back_links_crossing_nodes(canvas):
    editor, scene, view, actions = canvas(size=(800, 500))
    doc = editor.doc
    uids = [doc.add_node("core.input", {"shape": [4]})]
    uids += [doc.add_node("core.dense", {"units": 4}) for _ in range(14)]
    uids.append(doc.add_node("core.output"))
    for x, y in zip(uids, uids[1:]):
        doc.add_link(x, "out", y, "in")
    before = {u: doc.node(u).position for u in uids}
    count = editor.stack.count()
    actions.arrange()
    assert editor.stack.count() == count + 1
    rows = sorted({doc.node(u).position[1] for u in uids})
    assert len(rows) == 6 and len({doc.node(u).position[0] for u in uids}) == 3
    back = [item for link, item in scene.links.items()
            if doc.node(link.target).position[0] < doc.node(link.source).position[0]]
    assert len(back) == 5 and all(item.route.kind == "lanes" and item.route.clear for item in back)
    assert _crossings(scene) == []
    view.fit_all()
    assert TITLE_PT * view.zoom() >= MIN_TITLE_PX
    editor.stack.undo()
    assert {u: doc.node(u).position for u in uids} == before


def test_a_node_moved_onto_a_link_is_routed_around_and_left_behind(canvas, qtbot):
    editor, scene, view, actions = canvas()
    doc = editor.doc
    a = doc.add_node("core.input", {"shape": [4]}, position=(0, 0))
    b = doc.add_node("core.output", position=(1000, 0))
    c = doc.add_node("core.dense", {"units": 4}, position=(400, 300))
    doc.add_link(a, "out", b, "in")
    item = next(iter(scene.links.values()))
    scene.flush_routes()
    assert item.route.kind == "curve"
    doc.move_node(c, (400, 10))  # onto the straight link from a to b
    qtbot.wait(1)  # routed after the model's events, from a zero timer
    assert item.route.kind == "lanes" and item.route.clear and _crossings(scene) == []
    assert not item.label_rect().intersects(scene.nodes[c].body_rect())
    doc.move_node(c, (400, 300))
    scene.flush_routes()
    assert item.route.kind == "curve"  # the way is clear again: straight back


# -- dropping a block onto a link ---------------------------------------------------------
def _drag(view, block, scene_pos, drop=False):
    mime = QMimeData()
    mime.setData(BLOCK_MIME, block.encode())
    pos = view.mapFromScene(scene_pos)
    if drop:
        event = QDropEvent(QPointF(pos), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    else:
        event = QDragMoveEvent(pos, Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    (view.dropEvent if drop else view.dragMoveEvent)(event)
    return event


def _near(item, view, pixels):
    """A scene point ``pixels`` screen pixels below the middle of a horizontal stretch of the link."""
    x, y = item.route.label_spots[0]
    return QPointF(x + 30 / view.zoom(), y + pixels / view.zoom())


def test_a_block_dragged_near_a_link_highlights_it_and_drops_into_it(canvas):
    editor, scene, view, actions = canvas(EXAMPLES / "digits_mlp.sprout")
    view.fit_all()
    doc = editor.doc
    link = next(lk for lk in doc.links() if (lk.source, lk.target) == ("n2", "n3"))
    item = scene.links[link]
    _drag(view, "core.dropout", _near(item, view, 6))
    assert scene.hot_link() == link and item.hot  # within 8 px: highlighted
    _drag(view, "core.dropout", _near(item, view, 14))
    assert scene.hot_link() is None and not item.hot  # farther: not
    _drag(view, "core.input", _near(item, view, 4))
    assert scene.hot_link() is None  # a block without an input cannot go into a link
    before, count = doc.links(), editor.stack.count()
    _drag(view, "core.dropout", _near(item, view, 6))
    _drag(view, "core.dropout", _near(item, view, 6), drop=True)
    new = list(doc.nodes)[-1]
    assert {(lk.source, lk.target) for lk in doc.links()} >= {("n2", new), (new, "n3")}
    assert link not in doc.links() and scene.hot_link() is None
    assert editor.stack.count() == count + 1  # one undo step
    assert editor.stack.undoText().startswith("Insert Dropout between Hidden and")
    editor.stack.undo()
    assert doc.links() == before and new not in doc.nodes


def test_a_block_dropped_farther_than_8_px_from_a_link_is_only_added(canvas):
    editor, scene, view, actions = canvas(EXAMPLES / "digits_mlp.sprout")
    view.fit_all()
    doc = editor.doc
    item = scene.links[next(lk for lk in doc.links() if (lk.source, lk.target) == ("n2", "n3"))]
    before = doc.links()
    _drag(view, "core.dropout", _near(item, view, 14), drop=True)
    assert doc.links() == before and len(doc.nodes) == 6


# -- messages name nodes by title ---------------------------------------------------------
def test_canvas_messages_and_undo_texts_name_nodes_by_title(canvas):
    editor, scene, view, _ = canvas(EXAMPLES / "digits_cnn.sprout")
    messages = []
    scene.message.connect(messages.append)
    assert not scene.connect_ports("n5", "out", "n2", "in")  # a cycle (and n2's input is taken)
    assert not scene.connect_ports("n1", "out", "n3", "in")  # n3's input is fed by n2
    assert not scene.connect_ports("n1", "out", "n2", "in")  # exists already
    assert len(messages) == 3
    assert "“Pool” (n5)" in messages[0] and "“Conv 3x3” (n2)" in messages[0] and "cycle" in messages[0]
    assert "“Digit image”" in messages[1] and "already fed by “Conv 3x3” (n2)" in messages[1]
    assert "“Digit image” is already connected to “Conv 3x3” (n2)" == messages[2]
    for text in messages:
        assert "Linking" not in text and " n1 " not in text and "-> " not in text
    tip = next(item for lk, item in scene.links.items() if lk.source == "n2").toolTip()
    assert tip.startswith("Conv 3x3 (n2).out → Pool (n3).in<br>shape: (batch, 8, 8, 32)")
    link = editor.doc.links()[0]
    editor.doc.remove_link(link)
    assert scene.connect_ports(link.source, link.source_port, link.target, link.target_port)
    assert editor.stack.undoText() == "Connect Digit image to Conv 3x3 (n2)"


# -- screenshots --------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["digits_cnn", "digits_octconv"])
def test_screenshot_of_the_canvas_after_fit_to_view(canvas, qtbot, name):
    editor, scene, view, _ = canvas(EXAMPLES / f"{name}.sprout", (800, 500))
    view.fit_all()
    qtbot.wait(30)
    out = ROOT / "tests" / "artifacts"
    out.mkdir(parents=True, exist_ok=True)
    image = view.grab()
    assert image.save(str(out / f"canvas_{name}.png"))
    visible = view.mapToScene(view.viewport().rect()).boundingRect()
    assert all(visible.contains(b) for b in _bodies(scene).values())
    assert TITLE_PT * view.zoom() >= MIN_TITLE_PX


def relayout_examples() -> None:
    """Re-lay out the shipped examples (positions only) with Arrange's 800-px-canvas columns.

    Run ``QT_QPA_PLATFORM=offscreen python -m tests.gui.test_readable_canvas`` after a
    change to the layout; test_example_positions_are_what_arrange_makes_... checks it was.
    """
    from PySide6.QtWidgets import QApplication

    from blocks import default_registry
    from engine.model.project import dumps

    app = QApplication.instance() or QApplication([])
    registry = default_registry()
    editor = Editor(registry)
    view = GraphView(GraphScene(editor))
    view.resize(800, 500)
    view.show()
    app.processEvents()
    columns = view.arrange_columns()
    for path in EXAMPLE_FILES:
        project = load_project(path, registry)
        for uid, pos in layered_positions(project.document, max_columns=columns).items():
            project.document.move_node(uid, pos)
        path.write_text(dumps(project))
        print(f"{path.name}: {len(project.document.nodes)} nodes, {columns} columns")


if __name__ == "__main__":
    relayout_examples()
