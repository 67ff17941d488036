"""After a run: confusion matrix, per-class accuracy and the misclassified samples."""
from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QImage, QPixmap
from PySide6.QtWidgets import (
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from engine.runs.results import ClassResults, per_class_accuracy

THUMB = 44
EMPTY = "The confusion matrix and the misclassified samples appear here after a classification run."
CELL = THUMB + 10  # a thumbnail with its margins and the grid's spacing


def to_image(sample: np.ndarray) -> QImage | None:
    """A grey or RGB QImage of one sample in [0, 1]; flat square vectors are made square."""
    a = np.asarray(sample, dtype="float32")
    if a.ndim == 1 and int(math.isqrt(a.size)) ** 2 == a.size:
        a = a.reshape(math.isqrt(a.size), -1)
    if a.ndim == 3 and a.shape[-1] == 1:
        a = a[..., 0]
    if a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[-1] != 3):
        return None
    lo, hi = float(np.nanmin(a)), float(np.nanmax(a))
    a = np.nan_to_num((a - lo) / (hi - lo) if hi > lo else a * 0)
    data = np.ascontiguousarray((a * 255).astype(np.uint8))
    h, w = data.shape[:2]
    fmt = QImage.Format_Grayscale8 if data.ndim == 2 else QImage.Format_RGB888
    return QImage(data.data, w, h, data.strides[0], fmt).copy()  # copy: the array dies with this frame


def thumbnail(sample: np.ndarray, caption: str, size: int = THUMB) -> QWidget:
    """A sample image with a caption under it."""
    box = QWidget()
    layout = QVBoxLayout(box)
    layout.setContentsMargins(2, 2, 2, 2)
    layout.setSpacing(1)
    pic = QLabel()
    image = to_image(sample)
    if image is not None:
        pic.setPixmap(QPixmap.fromImage(image).scaled(size, size, Qt.KeepAspectRatio, Qt.FastTransformation))
    pic.setAlignment(Qt.AlignCenter)
    text = QLabel(caption)
    text.setAlignment(Qt.AlignCenter)
    text.setStyleSheet("font-size: 8pt;")
    layout.addWidget(pic)
    layout.addWidget(text)
    return box


class ResultsView(QWidget):
    """Confusion matrix with a per-class accuracy column, and a grid of mistakes."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.classes: ClassResults | None = None
        self.summary = QLabel(EMPTY)
        self.summary.setWordWrap(True)
        self.table = QTableWidget()
        self.table.setEditTriggers(QTableWidget.NoEditTriggers)
        self.table.horizontalHeader().setDefaultSectionSize(36)
        self.table.horizontalHeader().setMinimumSectionSize(24)
        self.table.verticalHeader().setMinimumSectionSize(16)
        self.table.verticalHeader().setDefaultSectionSize(19)  # ten classes fit the default bottom area
        self.table.setStyleSheet("QTableWidget { font-size: 8pt; }")
        matrix_box = QGroupBox("Confusion matrix (rows: true class, columns: predicted)")
        box_layout = QVBoxLayout(matrix_box)
        box_layout.setContentsMargins(4, 2, 4, 4)
        box_layout.addWidget(self.table)

        self.grid_host = QWidget()
        self.grid = QGridLayout(self.grid_host)
        self.grid.setSpacing(2)
        self.grid.setAlignment(Qt.AlignTop | Qt.AlignLeft)
        self._thumbs: list[QWidget] = []
        self._columns = 0
        self.mistakes_scroll = scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)  # the grid flows to the width instead
        scroll.setWidget(self.grid_host)
        self.mistakes_box = QGroupBox("Misclassified (true → predicted)")
        QVBoxLayout(self.mistakes_box).addWidget(scroll)

        row = QHBoxLayout()
        row.addWidget(matrix_box, 3)
        row.addWidget(self.mistakes_box, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.summary)
        layout.addLayout(row, 1)

    def clear(self) -> None:
        """No run shown (a new run starts, or another project opened)."""
        self.show_results(None)
        self.summary.setText(EMPTY)
        self.mistakes_box.setTitle("Misclassified (true → predicted)")

    def show_results(self, classes: ClassResults | None) -> None:
        """Fill the views from a run's predictions (None clears them)."""
        self.classes = classes
        while self.grid.count():
            self.grid.takeAt(0).widget().deleteLater()
        self._thumbs, self._columns = [], 0
        if classes is None:
            self.table.clear()
            self.table.setRowCount(0)
            self.table.setColumnCount(0)
            self.summary.setText("No class results for this run (regression, or it ended before any weights were usable).")
            return
        cm = classes.matrix
        acc = per_class_accuracy(cm)
        names = classes.class_names
        n = len(names)
        self.table.setRowCount(n)
        self.table.setColumnCount(n + 1)
        self.table.setHorizontalHeaderLabels(names + ["accuracy"])
        self.table.setVerticalHeaderLabels(names)
        row_totals = np.maximum(cm.sum(axis=1), 1)
        for i in range(n):
            for j in range(n):
                item = QTableWidgetItem(str(cm[i, j]) if cm[i, j] else "")
                item.setTextAlignment(Qt.AlignCenter)
                share = cm[i, j] / row_totals[i]
                base = QColor(30, 136, 229) if i == j else QColor(229, 57, 53)
                base.setAlphaF(min(1.0, 0.12 + 0.88 * share) if cm[i, j] else 0.0)
                item.setBackground(QBrush(base))
                self.table.setItem(i, j, item)
            acc_item = QTableWidgetItem("–" if np.isnan(acc[i]) else f"{acc[i]:.0%}")
            acc_item.setTextAlignment(Qt.AlignCenter)
            self.table.setItem(i, n, acc_item)
        self.table.setColumnWidth(n, 70)
        total = int(cm.sum())
        correct = int(np.trace(cm))
        worst = int(np.nanargmin(acc)) if np.any(~np.isnan(acc)) else 0
        self.summary.setText(f"{classes.split.capitalize()} split: {correct} of {total} correct "
                             f"({correct / max(total, 1):.1%}). Weakest class: {names[worst]} ({acc[worst]:.0%}).")
        for idx, sample in zip(classes.mis_index, classes.mis_x):
            self._thumbs.append(thumbnail(sample, f"{names[classes.y_true[idx]]} → {names[classes.y_pred[idx]]}"))
        self._flow()
        wrong = int((classes.y_true != classes.y_pred).sum())
        shown = len(classes.mis_index)
        self.mistakes_box.setTitle(f"Misclassified (true → predicted): {shown} of {wrong} shown"
                                   if shown else f"Misclassified: {wrong} (samples shown for image data)")

    def _flow(self) -> None:
        """Lay the mistakes out in as many columns as the box's width holds (no sideways scrolling)."""
        scroll = self.mistakes_scroll
        width = scroll.viewport().width() - scroll.verticalScrollBar().sizeHint().width()
        columns = max(1, width // CELL)
        if columns == self._columns:
            return
        self._columns = columns
        while self.grid.count():
            self.grid.takeAt(0)  # the widgets stay: they only move to their new cells
        for k, thumb in enumerate(self._thumbs):
            self.grid.addWidget(thumb, k // columns, k % columns)

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self._flow()
