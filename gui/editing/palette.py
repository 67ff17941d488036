"""The block palette: grouped by category, searchable, draggable onto the canvas."""
from __future__ import annotations

from PySide6.QtCore import QMimeData, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QLineEdit, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from gui import style
from gui.canvas.view import BLOCK_MIME

BLOCK_ROLE = Qt.UserRole + 1


def block_icon(spec) -> QIcon:
    """A small rounded tile in the category colour with the block's initials."""
    pix = QPixmap(22, 22)
    pix.fill(Qt.transparent)
    p = QPainter(pix)
    p.setRenderHint(QPainter.Antialiasing)
    p.setBrush(style.category_color(spec.category))
    p.setPen(Qt.NoPen)
    p.drawRoundedRect(QRectF(1, 1, 20, 20), 5, 5)
    p.setPen(QColor("#ffffff"))
    font = QFont()
    font.setPointSizeF(7.0)
    font.setBold(True)
    p.setFont(font)
    letters = "".join(ch for ch in spec.title if ch.isupper() or ch.isdigit())[:2] or spec.title[:2]
    p.drawText(QRectF(1, 1, 20, 20), Qt.AlignCenter, letters)
    p.end()
    return QIcon(pix)


class _Tree(QTreeWidget):
    def mimeData(self, items):
        mime = QMimeData()
        blocks = [i.data(0, BLOCK_ROLE) for i in items if i.data(0, BLOCK_ROLE)]
        if blocks:
            mime.setData(BLOCK_MIME, blocks[0].encode("utf-8"))
        return mime

    def mimeTypes(self):
        return [BLOCK_MIME]


class Palette(QWidget):
    """Lists every block; ``activated(block_id)`` on double-click or Enter."""

    activated = Signal(str)

    def __init__(self, registry, parent=None):
        super().__init__(parent)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search blocks…")
        self.search.setClearButtonEnabled(True)
        self.tree = _Tree()
        self.tree.setHeaderHidden(True)
        self.tree.setDragEnabled(True)
        self.tree.setDragDropMode(QTreeWidget.DragOnly)
        self.tree.setIndentation(12)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.search)
        layout.addWidget(self.tree)
        self.items: dict[str, QTreeWidgetItem] = {}
        for category, specs in registry.categories().items():
            group = QTreeWidgetItem([category])
            group.setFlags(Qt.ItemIsEnabled)
            font = group.font(0)
            font.setBold(True)
            group.setFont(0, font)
            self.tree.addTopLevelItem(group)
            for spec in specs:
                item = QTreeWidgetItem([spec.title])
                item.setData(0, BLOCK_ROLE, spec.id)
                item.setIcon(0, block_icon(spec))
                item.setToolTip(0, f"<b>{spec.title}</b> <i>({spec.id})</i><br>{spec.doc}"
                                + (f"<br><b>Pros:</b> {spec.pros}" if spec.pros else "")
                                + (f"<br><b>Cons:</b> {spec.cons}" if spec.cons else ""))
                item.setFlags(Qt.ItemIsEnabled | Qt.ItemIsSelectable | Qt.ItemIsDragEnabled)
                group.addChild(item)
                self.items[spec.id] = item
        self.tree.expandAll()
        self.search.textChanged.connect(self.filter)
        self.tree.itemActivated.connect(self._activated)

    def filter(self, text: str) -> None:
        """Show blocks whose title, id, category or help contains ``text``."""
        needle = text.strip().lower()
        for i in range(self.tree.topLevelItemCount()):
            group = self.tree.topLevelItem(i)
            visible = 0
            for j in range(group.childCount()):
                item = group.child(j)
                tip = item.toolTip(0).lower()
                show = not needle or needle in item.text(0).lower() or needle in tip or needle in group.text(0).lower()
                item.setHidden(not show)
                visible += show
            group.setHidden(visible == 0)

    def _activated(self, item, column):
        block = item.data(0, BLOCK_ROLE)
        if block:
            self.activated.emit(block)
