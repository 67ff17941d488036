"""The studio's dock layout: the default arrangement, Reset layout, and remembered states.

The default, sized for the window it is in (1280x720 and up): Blocks on the left;
Inspector and Training setup tabbed on the right over the full height (the setup form
fits without scrolling sideways); Summary and Training tabbed under the canvas, tall
enough for readable curves. The canvas keeps at least ``MIN_CANVAS``.

While the layout is the default one, it follows the window's size; once the user drags
a separator or moves a dock it is theirs, and a window resize only steps in when the
canvas would get smaller than ``MIN_CANVAS``. Saved states carry ``STATE_VERSION``: a
state saved by an older layout is not restored, and a restored state that leaves the
canvas too small gets the default sizes.
"""
from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QScrollArea

STATE_VERSION = 3
MIN_CANVAS = (500, 200)
BOTTOM_SHARE = 0.45  # of the window's height, for Summary and Training, when the canvas can spare it


def dock_places(window) -> list[tuple]:
    """(dock, default area) for every dock of the window, in the order they are placed."""
    t = window.training_dock
    places = [(window.palette_dock, Qt.LeftDockWidgetArea), (window.inspector_dock, Qt.RightDockWidgetArea),
              (t.setup_dock, Qt.RightDockWidgetArea), (window.summary_dock, Qt.BottomDockWidgetArea),
              (t, Qt.BottomDockWidgetArea)]
    if getattr(window, "experiments_dock", None) is not None:
        places.append((window.experiments_dock, Qt.BottomDockWidgetArea))
    return places


def default_sizes(window) -> tuple[int, int, int]:
    """(Blocks width, right dock width, bottom dock height) for the window's current size."""
    width, height = window.width(), window.height()
    t = window.training_dock
    right = max(360, t.setup_dock.minimumSizeHint().width(), window.inspector_dock.minimumSizeHint().width())
    palette = max(window.palette_dock.minimumSizeHint().width(), 200 if width < 1360 else 220)
    bottom_min = max(t.minimumSizeHint().height(), window.summary_dock.minimumSizeHint().height())
    chrome = window.menuBar().sizeHint().height() + window.statusBar().sizeHint().height() + 40  # + toolbar
    spare = height - chrome - MIN_CANVAS[1] - 40  # 40: the bottom area's tab bar and separators
    bottom = max(bottom_min, min(int(BOTTOM_SHARE * height), spare))
    return palette, right, bottom


def apply_default_sizes(window) -> None:
    """Give the docks their default sizes (Qt applies them at the next layout pass)."""
    palette, right, bottom = default_sizes(window)
    window.resizeDocks([window.palette_dock, window.inspector_dock], [palette, right], Qt.Horizontal)
    window.resizeDocks([window.training_dock], [bottom], Qt.Vertical)


def canvas_too_small(window) -> bool:
    """True when the central canvas is narrower or lower than ``MIN_CANVAS``."""
    view = window.centralWidget()
    return view.width() < MIN_CANVAS[0] or view.height() < MIN_CANVAS[1]


class LayoutKeeper(QObject):
    """Applies, follows, saves and restores the dock layout of one main window."""

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.following = False  # True while the layout is the default one: it follows the window's size
        window.setCorner(Qt.BottomRightCorner, Qt.RightDockWidgetArea)
        window.setCorner(Qt.BottomLeftCorner, Qt.BottomDockWidgetArea)
        for dock, _area in dock_places(window):
            dock.dockLocationChanged.connect(self.user_changed)
            dock.topLevelChanged.connect(self.user_changed)
        window.installEventFilter(self)  # a press on the window itself (not a child) grabs a dock separator

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt's name)
        if obj is self.window and event.type() == QEvent.MouseButtonPress:
            self.user_changed()
        return False

    def reset(self) -> None:
        """Every dock back in its default place, shown, the first tabs raised, default sizes."""
        w = self.window
        self.following = False  # placing docks emits their location signals
        for dock, area in dock_places(w):  # only docks out of place are moved: re-adding leaves stale tab bars
            if dock.isFloating():
                dock.setFloating(False)
            if w.dockWidgetArea(dock) != area:
                w.addDockWidget(area, dock)
            dock.show()
        t = w.training_dock
        pairs = [(w.inspector_dock, t.setup_dock), (w.summary_dock, t)]
        if getattr(w, "experiments_dock", None) is not None:
            pairs.append((w.summary_dock, w.experiments_dock))
        for first, second in pairs:
            if second not in w.tabifiedDockWidgets(first):
                w.tabifyDockWidget(first, second)
        w.inspector_dock.raise_()
        w.summary_dock.raise_()
        apply_default_sizes(w)
        self.following = True

    def user_changed(self, *_args) -> None:
        """The user moved a dock or a separator: the layout stops following the window's size."""
        self.following = False

    def window_resized(self) -> None:
        """From the window's resizeEvent: keep the default layout fitted, and the canvas usable."""
        if self.following or (self.window.isVisible() and canvas_too_small(self.window)):
            apply_default_sizes(self.window)

    def restore(self, settings) -> bool:
        """The remembered geometry and dock state; False (defaults stay) when the state is missing or old."""
        geometry, state = settings.value("window/geometry"), settings.value("window/state")
        if geometry is not None:
            self.window.restoreGeometry(geometry)
        if state is None or not self.window.restoreState(state, STATE_VERSION):
            return False
        self.following = False
        return True

    def save(self, settings) -> None:
        settings.setValue("window/geometry", self.window.saveGeometry())
        settings.setValue("window/state", self.window.saveState(STATE_VERSION))


class FitWidthScrollArea(QScrollArea):
    """A vertical scroll area as wide as its widget needs: a dock holding it is never clipped sideways.

    Its minimum width is the widget's minimum plus the vertical scroll bar, kept up to
    date when the widget's layout changes (another block's editors, a longer preview),
    and it never scrolls sideways.
    """

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)

    def setWidget(self, widget) -> None:  # noqa: N802 (Qt's name)
        super().setWidget(widget)
        widget.installEventFilter(self)
        self.updateGeometry()

    def eventFilter(self, obj, event) -> bool:  # noqa: N802
        if event.type() == QEvent.LayoutRequest and obj is self.widget():
            self.updateGeometry()
        return super().eventFilter(obj, event)

    def minimumSizeHint(self):  # noqa: N802
        hint = super().minimumSizeHint()
        widget = self.widget()
        if widget is not None:
            need = widget.minimumSizeHint().width() + self.verticalScrollBar().sizeHint().width() + 2 * self.frameWidth()
            hint.setWidth(max(hint.width(), need))
        return hint
