"""Bottom panel: model totals, the resource budget as gauges, and diagnostics.

The budget check itself is ``engine.analysis.budget``; this panel only draws its lines.
"""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QSpinBox,
    QWidget,
)

from engine.analysis.budget import BUDGET_FIELDS, BudgetLine, check_budget
from engine.analysis.budget import over_budget as names_over
from gui import style
from gui.editing.commands import SetProjectFieldCommand

GAUGE_COLORS = {"over": "#d32f2f", "near": "#f9a825", "ok": "#43a047"}


class SummaryPanel(QWidget):
    """Totals of the latest analysis, budget gauges and a clickable diagnostics list."""

    node_chosen = Signal(str)

    def __init__(self, editor, parent=None):
        super().__init__(parent)
        self.editor = editor
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)

        totals_box = QGroupBox("Model")
        form = QFormLayout(totals_box)
        self.labels = {}
        for key, title in (("params", "Parameters"), ("macs", "MACs / FLOPs"), ("activation_bytes", "Activations"),
                           ("size_float32_bytes", "Size float32"), ("size_int8_bytes", "Size int8")):
            lab = QLabel("–")
            lab.setTextInteractionFlags(Qt.TextSelectableByMouse)
            form.addRow(title, lab)
            self.labels[key] = lab
        layout.addWidget(totals_box, 2)

        budget_box = QGroupBox("Budget (0 = no limit)")
        grid = QGridLayout(budget_box)
        self.budget_edits, self.gauges = {}, {}
        for row, (key, title) in enumerate(BUDGET_FIELDS):
            edit = QDoubleSpinBox() if key == "max_kb" else QSpinBox()
            edit.setRange(0, 2_000_000_000)
            edit.setKeyboardTracking(False)
            edit.setSpecialValueText("no limit")
            edit.valueChanged.connect(self._budget_edited)
            gauge = QProgressBar()
            gauge.setRange(0, 100)
            gauge.setTextVisible(True)
            grid.addWidget(QLabel(title), row, 0)
            grid.addWidget(edit, row, 1)
            grid.addWidget(gauge, row, 2)
            self.budget_edits[key], self.gauges[key] = edit, gauge
        self.budget_warning = QLabel("")
        self.budget_warning.setStyleSheet("color: #d32f2f; font-weight: bold;")
        grid.addWidget(self.budget_warning, len(BUDGET_FIELDS), 0, 1, 3)
        layout.addWidget(budget_box, 3)

        diag_box = QGroupBox("Diagnostics")
        diag_layout = QHBoxLayout(diag_box)
        self.diagnostics = QListWidget()
        self.diagnostics.itemClicked.connect(self._diagnostic_clicked)
        diag_layout.addWidget(self.diagnostics)
        layout.addWidget(diag_box, 4)

        self._loading = False
        editor.analysis_changed.connect(self.show_analysis)
        editor.project_changed.connect(self._load_budget)
        editor.document_replaced.connect(self._load_budget)
        self._load_budget()
        self.show_analysis(editor.analysis)

    @Slot(object)
    def show_analysis(self, analysis) -> None:
        """Refresh totals, gauges and diagnostics."""
        t = analysis.totals()
        self.totals = t
        self.labels["params"].setText(f"{t['params']:,}")
        self.labels["macs"].setText(f"{style.human(t['macs'])} / {style.human(t['flops'])}")
        self.labels["activation_bytes"].setText(style.human_bytes(t["activation_bytes"]) + " per sample")
        self.labels["size_float32_bytes"].setText(style.human_bytes(t["size_float32_bytes"]))
        self.labels["size_int8_bytes"].setText(style.human_bytes(t["size_int8_bytes"]))
        self._update_gauges()
        self.diagnostics.clear()
        for d in analysis.diagnostics:
            item = QListWidgetItem(("✖ " if d.severity == "error" else "⚠ ") + str(d))
            item.setForeground(style.ERROR if d.severity == "error" else style.category_color("Pooling").darker(140))
            item.setData(Qt.UserRole, d.uid)
            self.diagnostics.addItem(item)
        if not analysis.diagnostics:
            self.diagnostics.addItem(QListWidgetItem("✔ No problems: the graph compiles."))

    def budget_lines(self) -> list[BudgetLine]:
        """The budget check of the latest analysis against the project's budget."""
        return check_budget(self.totals, self.editor.project.budget)

    def over_budget(self) -> list[str]:
        """Names of budget limits the graph exceeds."""
        return names_over(self.budget_lines())

    def _update_gauges(self):
        lines = self.budget_lines()
        for line in lines:
            gauge = self.gauges[line.key]
            if line.ratio is None:
                gauge.setValue(0)
                gauge.setFormat("no limit")
                gauge.setStyleSheet("")
                continue
            gauge.setValue(min(100, int(round(line.ratio * 100))))
            gauge.setFormat(f"{line.ratio * 100:.0f}%")
            gauge.setStyleSheet(f"QProgressBar::chunk {{ background: {GAUGE_COLORS[line.level]}; }}")
        over = names_over(lines)
        self.budget_warning.setText(("Over budget: " + ", ".join(over)) if over else "")

    def _load_budget(self):
        self._loading = True
        try:
            for key, edit in self.budget_edits.items():
                edit.setValue(self.editor.project.budget.get(key, 0) or 0)
        finally:
            self._loading = False
        if hasattr(self, "totals"):
            self._update_gauges()

    def _budget_edited(self, _value):
        if self._loading:
            return
        budget = {k: (e.value() if isinstance(e, QDoubleSpinBox) else int(e.value()))
                  for k, e in self.budget_edits.items() if e.value()}
        if budget != self.editor.project.budget:
            self.editor.stack.push(SetProjectFieldCommand(self.editor.project, "budget", budget,
                                                          self.editor.notify_project_changed))

    def _diagnostic_clicked(self, item):
        uid = item.data(Qt.UserRole)
        if uid:
            self.node_chosen.emit(uid)
