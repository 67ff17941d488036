"""The run list (open, rename, delete, overlay) and accuracy against cost across runs."""
from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from engine.runs.results import pareto_front
from engine.runs.store import score_of
from gui.training.run_state import score_split

COLUMNS = ("Run", "Created", "Ended", "Epochs", "Test accuracy", "Parameters", "MACs")
REASONS = {"completed": "completed", "stopped": "stopped", "nan_loss": "diverged", "early_stopping": "early stop"}


class RunsView(QWidget):
    """Rows of ``project.runs``; the first column's box adds a run to the curve overlay."""

    opened = Signal(str)           # run id: show its curves and results
    renamed = Signal(str, str)     # run id, new name
    delete_requested = Signal(str)
    export_requested = Signal(str)  # run id: open the export dialog on it
    compress_requested = Signal(str)  # run id: open the compression wizard on it
    overlay_changed = Signal(list)  # run ids ticked for overlay

    def __init__(self, parent=None):
        super().__init__(parent)
        self.records: list[dict] = []
        self._loading = False

        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(list(COLUMNS))
        self.tree.setRootIsDecorated(False)
        self.tree.setSelectionMode(QAbstractItemView.SingleSelection)
        self.tree.setEditTriggers(QAbstractItemView.EditKeyPressed | QAbstractItemView.SelectedClicked)
        self.tree.header().setSectionResizeMode(0, QHeaderView.ResizeToContents)  # a name is never cut to "Ru…"
        self.tree.header().setStretchLastSection(True)
        self.tree.headerItem().setToolTip(4, "Accuracy on the test split; marked (val) when a run has no test split")
        self.tree.setToolTip("Tick runs to overlay their validation curves on the Curves tab")
        self.tree.itemChanged.connect(self._item_changed)
        self.tree.itemDoubleClicked.connect(lambda item, _c: self.opened.emit(item.data(0, Qt.UserRole)))
        self.open_button = QPushButton("Show")
        self.open_button.clicked.connect(self._open_clicked)
        self.rename_button = QPushButton("Rename")
        self.rename_button.clicked.connect(self._rename_clicked)
        self.delete_button = QPushButton("Delete…")
        self.delete_button.clicked.connect(self._delete_clicked)
        self.export_button = QPushButton("Export…")
        self.export_button.setToolTip("Export the selected run: Keras, TFLite, ONNX... with a model card")
        self.export_button.clicked.connect(self._export_clicked)
        self.compress_button = QPushButton("Compress…")
        self.compress_button.setToolTip("Compress the selected run to fit a device (prune, quantize, distill, factorize)")
        self.compress_button.clicked.connect(lambda: self.selected_id() and self.compress_requested.emit(self.selected_id()))
        hint = QLabel("Tick runs to overlay their validation curves.")
        hint.setWordWrap(True)
        hint.setStyleSheet("color: #6b7280;")
        buttons = QHBoxLayout()
        buttons.addWidget(hint, 1)
        for b in (self.open_button, self.rename_button, self.compress_button, self.export_button, self.delete_button):
            buttons.addWidget(b)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.tree, 1)
        left_layout.addLayout(buttons)

        self.cost_axis = QComboBox()
        self.cost_axis.addItems(["Parameters", "MACs"])
        self.cost_axis.currentIndexChanged.connect(lambda _i: self._draw_scatter())
        self.scatter_plot = pg.PlotWidget(background="w")
        self.scatter_plot.showGrid(x=True, y=True, alpha=0.25)
        self.scatter_plot.setLabel("left", "test accuracy")
        for side in ("left", "bottom"):  # 0.86, not "860 (x0.001)"; 36000, not "36 (x1000)"
            self.scatter_plot.getAxis(side).enableAutoSIPrefix(False)
        self._names: dict[str, str] = {}
        self.scatter = pg.ScatterPlotItem(size=10, brush=pg.mkBrush("#1e88e5"), pen=None, hoverable=True,
                                          tip=lambda x, y, data: f"{self._names.get(data, data)}\n{y:.2%} · {x:,.0f}")
        self.scatter.sigClicked.connect(self._point_clicked)
        self.front_line = pg.PlotDataItem(pen=pg.mkPen("#e53935", width=2), symbol="o", symbolSize=11,
                                          symbolBrush=None, symbolPen=pg.mkPen("#e53935", width=2))
        self.scatter_plot.addItem(self.front_line)
        self.scatter_plot.addItem(self.scatter)
        self.front_ids: list[str] = []
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        axis_row = QHBoxLayout()
        axis_row.addWidget(QLabel("Test accuracy against"))
        axis_row.addWidget(self.cost_axis)
        axis_row.addWidget(QLabel("<span style='color:#e53935'>— Pareto front</span>"), 1)
        right_layout.addLayout(axis_row)
        right_layout.addWidget(self.scatter_plot, 1)

        split = QSplitter(Qt.Horizontal)
        split.addWidget(left)
        split.addWidget(right)
        split.setSizes([560, 360])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(split)

    # -- content ---------------------------------------------------------------------
    def set_runs(self, records: list[dict], children: dict | None = None) -> None:
        """Show ``records`` (newest last), keeping overlay ticks of runs that remain.

        ``children``: run id -> its compressed models (``engine.compress.report.read_children``),
        shown as rows under the run.
        """
        children = children or {}
        ticked = set(self.overlay_ids())
        self._loading = True
        try:
            self.records = [dict(r) for r in records if isinstance(r, dict) and r.get("id")]
            self.tree.clear()
            for rec in self.records:
                score = score_of(rec)
                created = str(rec.get("created", ""))
                item = QTreeWidgetItem([str(rec.get("name", rec["id"])), _short_time(created),
                                        REASONS.get(rec.get("stop_reason"), str(rec.get("stop_reason", ""))),
                                        str(rec.get("epochs_run", "")),
                                        "–" if score is None else
                                        f"{score:.2%}" + (" (val)" if score_split(rec) == "val" else ""),
                                        f"{rec.get('params', 0):,}", f"{rec.get('macs', 0):,}"])
                item.setData(0, Qt.UserRole, rec["id"])
                item.setFlags(item.flags() | Qt.ItemIsEditable | Qt.ItemIsUserCheckable)
                item.setCheckState(0, Qt.Checked if rec["id"] in ticked else Qt.Unchecked)
                item.setToolTip(1, created)
                if rec.get("message"):
                    item.setToolTip(2, rec["message"])
                self.tree.addTopLevelItem(item)
                for kid in children.get(rec["id"], []):
                    item.addChild(_child_item(rec["id"], kid))
                item.setExpanded(True)
            self.tree.setRootIsDecorated(bool(children))
            for col in range(1, len(COLUMNS)):
                self.tree.resizeColumnToContents(col)
        finally:
            self._loading = False
        self._draw_scatter()

    def child_count(self, run_id: str) -> int:
        """How many compressed models are shown under a run."""
        for i in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(i)
            if item.data(0, Qt.UserRole) == run_id:
                return item.childCount()
        return 0

    def overlay_ids(self) -> list[str]:
        """Ids of the runs ticked for overlay."""
        return [self.tree.topLevelItem(i).data(0, Qt.UserRole) for i in range(self.tree.topLevelItemCount())
                if self.tree.topLevelItem(i).checkState(0) == Qt.Checked]

    def select(self, run_id: str) -> None:
        """Select a run's row."""
        for i in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(i)
            if item.data(0, Qt.UserRole) == run_id:
                self.tree.setCurrentItem(item)

    def selected_id(self) -> str | None:
        """The selected run's id."""
        item = self.tree.currentItem()
        return item.data(0, Qt.UserRole) if item else None

    def _draw_scatter(self) -> None:
        key = "params" if self.cost_axis.currentIndex() == 0 else "macs"
        self.scatter_plot.setLabel("bottom", self.cost_axis.currentText().lower())
        pts, ids = [], []
        for rec in self.records:
            score, cost = score_of(rec), rec.get(key) or 0
            if score is not None and cost > 0:
                pts.append((float(cost), score))
                ids.append(rec["id"])
        self._names = {r["id"]: str(r.get("name", r["id"])) for r in self.records}
        self.scatter.setData([{"pos": (c, s), "data": i} for (c, s), i in zip(pts, ids)])
        front = pareto_front(pts) if pts else []
        self.front_ids = [ids[i] for i in front]
        self.front_line.setData([pts[i][0] for i in front], [pts[i][1] for i in front])
        self._fit_ranges(pts)

    def _fit_ranges(self, pts: list[tuple[float, float]]) -> None:
        """Auto range, except around points that share one size (or one score).

        pyqtgraph spans a zero-width range as value ± 0.5, so runs of one model all at
        35,914 parameters read 35913.6 ... 35914.4; such a range is widened to ±10%.
        """
        vb = self.scatter_plot.getViewBox()
        vb.enableAutoRange()
        if not pts:
            return
        costs, scores = [c for c, _ in pts], [s for _, s in pts]
        lo, hi = min(costs), max(costs)
        if hi - lo < max(1.0, 0.02 * hi):
            pad = max(1.0, 0.1 * hi)
            self.scatter_plot.setXRange(max(0.0, lo - pad), hi + pad, padding=0)
        lo, hi = min(scores), max(scores)
        if hi - lo < 0.01:
            self.scatter_plot.setYRange(max(0.0, lo - 0.05), min(1.0, hi + 0.05) + 0.005, padding=0)

    # -- slots -----------------------------------------------------------------------
    @Slot(object, object)
    def _point_clicked(self, _item, points, *_args) -> None:
        if len(points):
            run_id = points[0].data()
            self.select(run_id)
            self.opened.emit(run_id)

    @Slot(QTreeWidgetItem, int)
    def _item_changed(self, item, column: int) -> None:
        if self._loading:
            return
        run_id = item.data(0, Qt.UserRole)
        rec = next((r for r in self.records if r["id"] == run_id), None)
        if rec is not None and column == 0 and item.text(0).strip() and item.text(0) != rec.get("name"):
            self.renamed.emit(run_id, item.text(0).strip())
        self.overlay_changed.emit(self.overlay_ids())

    @Slot()
    def _open_clicked(self) -> None:
        if self.selected_id():
            self.opened.emit(self.selected_id())

    @Slot()
    def _rename_clicked(self) -> None:
        item = self.tree.currentItem()
        if item:
            self.tree.editItem(item, 0)

    @Slot()
    def _export_clicked(self) -> None:
        if self.selected_id():
            self.export_requested.emit(self.selected_id())

    @Slot()
    def _delete_clicked(self) -> None:
        if self.selected_id():
            self.delete_requested.emit(self.selected_id())


def _child_item(run_id: str, kid: dict) -> QTreeWidgetItem:
    """A compressed model under its run: LiteRT test accuracy, non-zero parameters, size ratio."""
    acc = kid.get("accuracy")
    ratio = kid.get("size_ratio")
    size = f" · {ratio:.1f}x smaller" if ratio else ""
    item = QTreeWidgetItem([f"{kid['label']} ({kid['variant']}){size}", "", "compressed", "",
                            "–" if acc is None else f"{acc:.2%}",
                            f"{kid['nonzero_params']:,} non-zero", "" if kid.get("macs") is None else f"{kid['macs']:,}"])
    item.setData(0, Qt.UserRole, run_id)  # the buttons act on the run it came from
    item.setFlags(item.flags() & ~Qt.ItemIsEditable & ~Qt.ItemIsUserCheckable)
    tip = f"{kid.get('file') or kid.get('model_file')}"
    if ratio:
        tip += f"\n{ratio:.1f}x smaller than the run's float32 TFLite (gzipped)"
    item.setToolTip(0, tip)
    item.setToolTip(4, "Measured by running the TFLite file in the LiteRT interpreter")
    return item


def _short_time(created: str) -> str:
    """"2026-12-01 14:38:17" -> "12-01 14:38" (the full time is the cell's tooltip); other text as it is."""
    if len(created) == 19 and created[4] == "-" and created[10] == " ":
        return created[5:16]
    return created
