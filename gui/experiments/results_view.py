"""An ablation's results: the table per variant (best in bold, Welch notes) and the curves per variant."""
from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QSplitter, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

from engine.experiments import results
from gui.training.plots import OVERLAY_COLORS

COLUMNS = ("Variant", "Test accuracy (%)", "Params", "MACs", "s / run", "Note")


def short_note(s: results.VariantSummary) -> str:
    """The table's note column (the full sentence is its tooltip): best, ≈ best, worse, 1 seed."""
    if s.best:
        return "best"
    if s.p_value is None:
        return "1 seed: no test" if s.accuracies else ""
    return f"≈ best (p={s.p_value:.2f})" if s.p_value >= results.ALPHA else f"worse (p={s.p_value:.3f})"


class ResultsView(QSplitter):
    """Table (with a widget below it, e.g. "Apply the winner") and curves, side by side."""

    def __init__(self, below: QWidget | None = None, parent=None):
        super().__init__(Qt.Horizontal, parent)
        self.summaries: list[results.VariantSummary] = []
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setWordWrap(True)
        self.table.setEditTriggers(QTableWidget.NoEditTriggers)
        self.plot = pg.PlotWidget()
        self.plot.setBackground("w")
        self.plot.setLabel("left", "validation accuracy %, mean of seeds")
        self.plot.getAxis("left").enableAutoSIPrefix(False)
        self.plot.setLabel("bottom", "epoch")
        self.plot.addLegend(offset=(-10, -10))  # bottom right: where rising accuracy curves leave room
        self.plot.showGrid(x=True, y=True, alpha=0.25)
        self.plot.getAxis("bottom").setTickSpacing(major=5, minor=1)
        box = QWidget()
        lay = QVBoxLayout(box)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.table, 1)
        if below is not None:
            lay.addWidget(below)
        box.setMinimumWidth(320)
        self.plot.setMinimumWidth(220)
        for i, w in enumerate((box, self.plot)):
            self.addWidget(w)
            self.setStretchFactor(i, (3, 2)[i])
            self.setCollapsible(i, False)
        self.setSizes([3000, 2000])

    def show_rows(self, rows: list[dict], out) -> list[results.VariantSummary]:
        """Summarize ``rows`` into the table, and draw the runs' curves from ``out``; returns the summaries."""
        self.summaries = results.summarize(rows) if rows else []
        self.table.setRowCount(len(self.summaries))
        for r, s in enumerate(self.summaries):
            acc = (f"{100 * s.mean:.2f} ± {100 * s.std:.2f}" if len(s.accuracies) > 1
                   else (f"{100 * s.mean:.2f}" if s.accuracies else "–"))
            cells = (s.label, acc, f"{s.params:,}", f"{s.macs:,}", f"{s.seconds:.1f}", short_note(s))
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(s.note or text if c == len(cells) - 1 else text)
                if s.best:
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
                self.table.setItem(r, c, item)
        for c in range(len(COLUMNS) - 1):  # the note column takes what is left, wrapped
            self.table.resizeColumnToContents(c)
        self.table.resizeRowsToContents()
        self.plot.clear()
        if rows and out is not None:
            for i, (label, values) in enumerate(results.curves(out, rows).items()):
                self.plot.plot(list(range(1, len(values) + 1)), [100 * v for v in values], name=label,
                               symbol="o", symbolSize=5, pen=pg.mkPen(OVERLAY_COLORS[i % len(OVERLAY_COLORS)], width=2))
        return self.summaries
