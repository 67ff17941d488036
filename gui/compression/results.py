"""The plans tried: a table (flash, RAM, accuracy, drop, fits) and accuracy against size with the budget."""
from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QHeaderView, QSplitter, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

from engine.runs.results import pareto_front

COLUMNS = ("Plan", "Fits", "Flash KB", "RAM KB", "Accuracy (LiteRT)", "Drop (pt)", "Params", "Non-zero", "MACs",
           "gzip KB", "Latency ms", "Size x (gz)")
FITS = 1
GREEN, RED, AMBER = "#2e7d32", "#c62828", "#ef6c00"


class ResultsView(QWidget):
    """Rows of ``report.json``'s plans (or a plan's steps) and the trade-off chart."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.setEditTriggers(QTableWidget.NoEditTriggers)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.Stretch)
        self.labels: list = []
        self.plot = pg.PlotWidget(background="w")
        self.plot.showGrid(x=True, y=True, alpha=0.25)
        self.plot.setLabel("bottom", "flash (KB, TFLite file)")
        self.plot.setLabel("left", "test accuracy (LiteRT)")
        for side in ("left", "bottom"):
            self.plot.getAxis(side).enableAutoSIPrefix(False)
        self.points = pg.ScatterPlotItem(size=11, pen=None, hoverable=True)
        self.front = pg.PlotDataItem(pen=pg.mkPen("#1e88e5", width=2))
        self.budget_line = pg.InfiniteLine(angle=90, pen=pg.mkPen(RED, width=2, style=Qt.DashLine),
                                           label="flash budget", labelOpts={"position": 0.9, "color": RED})
        self.plot.addItem(self.front)
        self.plot.addItem(self.points)
        self.plot.addItem(self.budget_line)
        self.budget_line.hide()
        split = QSplitter(Qt.Vertical)
        split.addWidget(self.table)
        split.addWidget(self.plot)
        split.setSizes([200, 260])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(split)

    def show_attempts(self, rows: list[dict], flash_kb: float = 0.0) -> None:
        """``rows``: dicts with label, size_bytes, arena_bytes, accuracy, accuracy_drop_points, fits..."""
        self.table.setRowCount(len(rows))
        pts = []
        for i, r in enumerate(rows):
            kb = (r.get("size_bytes") or 0) / 1024
            acc = r.get("accuracy")
            fits = r.get("fits") and r.get("within_tolerance", True)
            cells = [r["label"], "yes" if fits else ("over tolerance" if r.get("fits") else "no"),
                     f"{kb:.1f}", _kb(r.get("arena_bytes")), "-" if acc is None else f"{100 * acc:.2f}%",
                     "-" if r.get("accuracy_drop_points") is None else f"{r['accuracy_drop_points']:+.2f}",
                     _count(r.get("params")), _count(r.get("nonzero_params")), _count(r.get("macs")),
                     _kb(r.get("size_gz_bytes")), "-" if r.get("latency_ms") is None else f"{r['latency_ms']:.3f}",
                     "-" if not r.get("size_ratio") else f"{r['size_ratio']:.1f}x"]
            for j, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if j == FITS:
                    item.setForeground(QColor(GREEN if fits else (AMBER if r.get("fits") else RED)))
                if j > 0:
                    item.setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
                self.table.setItem(i, j, item)
            if acc is not None and kb:
                pts.append((kb, acc, fits, r["label"]))
        self.points.setData([{"pos": (kb, acc), "brush": pg.mkBrush(GREEN if ok else RED), "data": label}
                             for kb, acc, ok, label in pts])
        for item in self.labels:
            self.plot.removeItem(item)
        self.labels = []
        for kb, acc, ok, label in pts:  # each point says which plan it is
            text = pg.TextItem(label, color=GREEN if ok else "#555555", anchor=(0, 1))
            text.setPos(kb, acc)
            self.plot.addItem(text)
            self.labels.append(text)
        front = pareto_front([(kb, acc) for kb, acc, _, _ in pts]) if pts else []
        ordered = sorted((pts[i][0], pts[i][1]) for i in front)
        self.front.setData([p[0] for p in ordered], [p[1] for p in ordered])
        if flash_kb:
            self.budget_line.setValue(flash_kb)
            self.budget_line.show()
        else:
            self.budget_line.hide()


def _count(n) -> str:
    return "-" if n is None else f"{int(n):,}"


def _kb(n) -> str:
    return "-" if n is None else f"{n / 1024:.1f}"
