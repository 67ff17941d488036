"""Live training curves: loss, accuracy and learning rate, per epoch and per batch.

Following DESIGN.md section 6: one curve item per series, ``setData`` with whole
arrays, peak downsampling and clip-to-view, and a repaint at most every 50 ms however
fast reports arrive.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer, Slot
from PySide6.QtWidgets import QCheckBox, QFileDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

PLOT_MIN_HEIGHT = 228  # the three plots' area: a data area of at least 150 px under the title, over the axis
REDRAW_MS = 200  # 5 Hz: each repaint holds the GIL that the training thread needs between steps
SMOOTHING = 0.9  # exponential moving average of the batch loss, debiased like TensorBoard's
OVERLAY_COLORS = ("#8e24aa", "#00897b", "#f4511e", "#3949ab", "#c0ca33", "#6d4c41")
TRAIN, VAL, BATCH = "#1e88e5", "#e53935", "#90caf9"
EMPTY_READOUT = "Train (F5) to see the curves here; then hover a plot to read its values"
HOVER_READOUT = "Hover a plot to read its values"


class TrainingPlots(QWidget):
    """Three plots side by side, a crosshair readout, log scale and exports."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.history: list[dict] = []
        self.batch_x: list[float] = []
        self.batch_loss: list[float] = []
        self._ema, self._ema_n = 0.0, 0
        self._smooth: list[float] = []
        self._dirty = False        # batch curve changed
        self._epochs_dirty = False  # per-epoch curves changed (only then do those plots repaint)
        self._overlay_items: list = []

        bar = QHBoxLayout()
        bar.setContentsMargins(4, 2, 0, 0)
        self.readout = QLabel(EMPTY_READOUT)
        self.readout.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.log_scale = QCheckBox("Log scale (loss)")
        self.log_scale.toggled.connect(self._log_toggled)
        self.png_button = QPushButton("Export PNG…")
        self.png_button.clicked.connect(lambda: self.export_png())
        self.csv_button = QPushButton("Export CSV…")
        self.csv_button.clicked.connect(lambda: self.export_csv())
        bar.addWidget(self.readout, 1)
        for w in (self.log_scale, self.png_button, self.csv_button):
            bar.addWidget(w)

        self.canvas = pg.GraphicsLayoutWidget()
        self.canvas.setBackground("w")
        self.canvas.setMinimumHeight(PLOT_MIN_HEIGHT)
        self.canvas.ci.setContentsMargins(2, 2, 6, 2)
        # The titles carry the legend of the run's own curves, so no legend box hides a curve; a legend
        # inside the plot appears only for other runs' overlays (Runs tab).
        self.loss_plot = self._plot("Loss", 0, [(TRAIN, "train"), (VAL, "validation"), (BATCH, "batch, smoothed")])
        self.acc_plot = self._plot("Accuracy", 1, [(TRAIN, "train"), (VAL, "validation")])
        self.lr_plot = self._plot("Learning rate", 2, [])
        for col, share in enumerate((4, 4, 3)):  # loss and accuracy matter most; a rate is read at a glance
            self.canvas.ci.layout.setColumnStretchFactor(col, share)
        self.curves = {
            "batch_loss": self._curve(self.loss_plot, BATCH, "batch loss (smoothed)", width=1),
            "loss": self._curve(self.loss_plot, TRAIN, "train", symbol=True),
            "val_loss": self._curve(self.loss_plot, VAL, "validation", symbol=True),
            "accuracy": self._curve(self.acc_plot, TRAIN, "train", symbol=True),
            "val_accuracy": self._curve(self.acc_plot, VAL, "validation", symbol=True),
            "lr": self._curve(self.lr_plot, "#43a047", "learning rate", symbol=True),
        }
        # Made after the run's curves, the legends list only overlays. Loss falls to the bottom right: its
        # legend goes top right; accuracy climbs: bottom right.
        for plot, offset in ((self.loss_plot, (-8, 8)), (self.acc_plot, (-8, -8))):
            plot.addLegend(offset=offset, labelTextSize="8pt", brush=pg.mkBrush(255, 255, 255, 200), verSpacing=-6)
        self.cursors = [pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen("#9e9e9e", style=Qt.DashLine))
                        for _ in range(3)]
        for plot, line in zip((self.loss_plot, self.acc_plot, self.lr_plot), self.cursors):
            plot.addItem(line, ignoreBounds=True)
            line.hide()
        self.canvas.scene().sigMouseMoved.connect(self._mouse_moved)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.canvas, 1)

        self._timer = QTimer(self)
        self._timer.setInterval(REDRAW_MS)
        self._timer.timeout.connect(self._redraw)
        self._timer.start()

    # -- building --------------------------------------------------------------------
    def _plot(self, title: str, col: int, keys: list[tuple[str, str]]):
        plot = self.canvas.addPlot(row=0, col=col)
        key = "".join(f"&nbsp;&nbsp;<span style='color:{color}'>━━</span>&nbsp;{name}" for color, name in keys)
        plot.setTitle(f"<b>{title}</b><span style='font-size:8pt'>{key}</span>", size="9pt", color="#4b5563")
        # No grid: pyqtgraph draws grid lines inside the axes, and repainting them was ~70% of a live update.
        plot.setLabel("bottom", "epoch")
        plot.getAxis("left").setWidth(44)  # room for "0.0025" or "1.0e-3" without the labels overlapping
        plot.setMouseEnabled(x=True, y=False)
        return plot

    @staticmethod
    def _curve(plot, color: str, name: str, width: int = 2, symbol: bool = False, style=Qt.SolidLine):
        kw = {"symbol": "o", "symbolSize": 5, "symbolBrush": color, "symbolPen": None} if symbol else {}
        item = plot.plot([], [], pen=pg.mkPen(color, width=width, style=style), name=name, **kw)
        item.setClipToView(True)
        item.setDownsampling(auto=True, method="peak")
        return item

    # -- data in ---------------------------------------------------------------------
    def reset(self) -> None:
        """Forget the shown run (overlays stay)."""
        self.readout.setText(EMPTY_READOUT)
        self.history, self.batch_x, self.batch_loss, self._smooth = [], [], [], []
        self._ema, self._ema_n = 0.0, 0
        self._dirty = self._epochs_dirty = True
        self._redraw()

    def add_batches(self, chunk) -> None:
        """Batch reports ``(epoch, batch, batches, loss)`` (0-based epoch and batch)."""
        for epoch, batch, batches, loss in chunk:
            if loss is None or not math.isfinite(loss):
                continue
            self.batch_x.append(epoch + (batch + 1) / batches)
            self.batch_loss.append(loss)
            self._ema_n += 1
            self._ema = SMOOTHING * self._ema + (1 - SMOOTHING) * loss
            self._smooth.append(self._ema / (1 - SMOOTHING ** self._ema_n))
        self._dirty = True

    def add_epoch(self, row: dict) -> None:
        """One history row (``epoch`` is 1-based: the end of that epoch)."""
        if not self.history:
            self.readout.setText(HOVER_READOUT)
        self.history.append(dict(row))
        self._epochs_dirty = True

    def set_history(self, history: list[dict]) -> None:
        """Show a finished run's epochs (no batch curve is stored for it)."""
        self.reset()
        self.history = [dict(r) for r in history]
        self.readout.setText(HOVER_READOUT if history else EMPTY_READOUT)
        self._epochs_dirty = True
        self._redraw()

    def set_overlays(self, runs: list[tuple[str, list[dict]]]) -> None:
        """Dashed validation curves of other runs, ``[(name, history), ...]``."""
        for plot, item in self._overlay_items:
            plot.removeItem(item)
        self._overlay_items = []
        for i, (name, history) in enumerate(runs):
            color = OVERLAY_COLORS[i % len(OVERLAY_COLORS)]
            for plot, key in ((self.loss_plot, "val_loss"), (self.acc_plot, "val_accuracy")):
                x, y = _series(history, key)
                if len(x):
                    item = self._curve(plot, color, f"{name}", width=2, style=Qt.DashLine)
                    item.setData(x, y)
                    self._overlay_items.append((plot, item))

    # -- drawing ---------------------------------------------------------------------
    @Slot()
    def _redraw(self) -> None:
        if self._dirty:
            self._dirty = False
            self.curves["batch_loss"].setData(np.asarray(self.batch_x), np.asarray(self._smooth))
        if not self._epochs_dirty:
            return
        self._epochs_dirty = False
        for key in ("loss", "val_loss", "accuracy", "val_accuracy", "lr"):
            self.curves[key].setData(*_series(self.history, key))
        _, lr = _series(self.history, "lr")
        if len(lr):  # a constant rate would sit on an axis centred at zero; start the axis at zero instead
            self.lr_plot.setYRange(0, float(lr.max()) * 1.15, padding=0)

    @Slot(bool)
    def _log_toggled(self, on: bool) -> None:
        self.loss_plot.setLogMode(y=on)

    @Slot(object)
    def _mouse_moved(self, pos) -> None:
        for plot in (self.loss_plot, self.acc_plot, self.lr_plot):
            if plot.sceneBoundingRect().contains(pos):
                x = plot.vb.mapSceneToView(pos).x()
                for line in self.cursors:
                    line.setPos(x)
                    line.show()
                self.readout.setText(self.describe_at(x))
                return

    def describe_at(self, x: float) -> str:
        """The readout for the epoch nearest to ``x``."""
        if not self.history:
            return "No epochs yet"
        row = min(self.history, key=lambda r: abs(r["epoch"] - x))
        parts = [f"epoch {row['epoch']}"]
        for key, label, fmt in (("loss", "loss", ".4f"), ("val_loss", "val loss", ".4f"),
                                ("accuracy", "acc", ".2%"), ("val_accuracy", "val acc", ".2%"), ("lr", "lr", ".3g")):
            if isinstance(row.get(key), (int, float)):
                parts.append(f"{label} {format(row[key], fmt)}")
        return " · ".join(parts)

    # -- exports ---------------------------------------------------------------------
    def export_png(self, path: str | None = None) -> Path | None:
        """Save the three plots as one PNG."""
        if path is None:
            path, _ = QFileDialog.getSaveFileName(self, "Export plot", "training.png", "PNG (*.png)")
            if not path:
                return None
        self._redraw()
        return Path(path) if self.canvas.grab().save(str(path)) else None

    def export_csv(self, path: str | None = None) -> Path | None:
        """Save the shown run's history (the trainer's ``history.csv`` columns)."""
        from engine.runs.results import write_history as write_history_csv

        if path is None:
            path, _ = QFileDialog.getSaveFileName(self, "Export history", "history.csv", "CSV (*.csv)")
            if not path:
                return None
        write_history_csv(Path(path), self.history)
        return Path(path)


def _series(history: list[dict], key: str) -> tuple[np.ndarray, np.ndarray]:
    pts = [(r["epoch"], r[key]) for r in history
           if isinstance(r.get(key), (int, float)) and math.isfinite(r[key])]
    if not pts:
        return np.zeros(0), np.zeros(0)
    x, y = zip(*pts)
    return np.asarray(x, dtype=float), np.asarray(y, dtype=float)
