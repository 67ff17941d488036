"""Bottom panel: model totals, the resource budget as gauges, and diagnostics.

The budget check itself is ``engine.analysis.budget``; this panel only draws its lines.
"""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QComboBox,
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

from engine.analysis.budget import BUDGET_FIELDS, DEVICE_FIELDS, BudgetLine, check_budget
from engine.analysis.budget import over_budget as names_over
from engine.analysis.device import WEIGHT_BYTES, DeviceError, budget_precision, load_devices
from gui import style
from gui.editing.commands import SetProjectFieldCommand

SHORT_TITLES = {"max_params": "Params", "max_macs": "MACs", "max_kb": "Size KB", "flash_kb": "Flash KB",
                "ram_kb": "RAM KB", "max_latency_ms": "Latency ms"}  # the whole name is the tooltip
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
        layout.addWidget(totals_box, 0)

        budget_box = QGroupBox("Budget and target device (0 = no limit)")
        grid = QGridLayout(budget_box)
        self.device_box = QComboBox()
        self.device_box.setToolTip("A target device sets the flash and RAM limits, the precision and a MAC rate "
                                   "for the latency estimate (resources/devices/presets.json)")
        self.device_box.addItem("No device", "")
        for device in self._devices():
            self.device_box.addItem(device.title, device.id)
        self.device_box.currentIndexChanged.connect(self._device_chosen)
        self.device_box.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        self.device_box.setMinimumContentsLength(12)
        self.precision_box = QComboBox()
        self.precision_box.setToolTip("The precision the flash and RAM gauges assume")
        for precision in WEIGHT_BYTES:
            self.precision_box.addItem(precision, precision)
        self.precision_box.currentIndexChanged.connect(self._precision_chosen)
        grid.addWidget(QLabel("Device"), 0, 0)
        grid.addWidget(self.device_box, 0, 1, 1, 4)
        grid.addWidget(self.precision_box, 0, 5)
        self.budget_edits, self.gauges, self.gauge_titles = {}, {}, {}
        for i, (key, title) in enumerate(BUDGET_FIELDS):
            edit = QSpinBox() if key in ("max_params", "max_macs") else QDoubleSpinBox()
            edit.setRange(0, 2_000_000_000 if isinstance(edit, QSpinBox) else 99_999_999)
            if isinstance(edit, QDoubleSpinBox):
                edit.setDecimals(1)
            edit.setKeyboardTracking(False)
            edit.setSpecialValueText("no limit")
            edit.valueChanged.connect(self._budget_edited)
            gauge = QProgressBar()
            gauge.setRange(0, 100)
            gauge.setTextVisible(True)
            label = QLabel(SHORT_TITLES.get(key, title))
            label.setToolTip(title)
            row, col = 1 + i % 3, 3 * (i // 3)  # the graph's limits on the left, the device's on the right
            grid.addWidget(label, row, col)
            grid.addWidget(edit, row, col + 1)
            grid.addWidget(gauge, row, col + 2)
            self.budget_edits[key], self.gauges[key], self.gauge_titles[key] = edit, gauge, label
        self.budget_warning = QLabel("")
        self.budget_warning.setStyleSheet("color: #d32f2f; font-weight: bold;")
        grid.addWidget(self.budget_warning, 4, 0, 1, 6)
        grid.setRowStretch(5, 1)  # the rows stay together at the top when the panel is tall
        layout.addWidget(budget_box, 0)

        diag_box = QGroupBox("Diagnostics")
        diag_layout = QHBoxLayout(diag_box)
        self.diagnostics = QListWidget()
        self.diagnostics.itemClicked.connect(self._diagnostic_clicked)
        diag_layout.addWidget(self.diagnostics)
        layout.addWidget(diag_box, 1)  # what is left: long diagnostics need the width

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
            self.gauge_titles[line.key].setToolTip(line.name)
            used = _amount(line.used)
            gauge.setToolTip(f"{line.name}: {line.used:.3g}" + ("" if line.limit is None else f" of {line.limit:g}"))
            if line.ratio is None:
                gauge.setValue(0)
                gauge.setFormat(f"{used} (no limit)" if line.key in DEVICE_FIELDS else "no limit")
                gauge.setStyleSheet("")
                continue
            gauge.setValue(min(100, int(round(line.ratio * 100))))
            gauge.setFormat(f"{used} ({line.ratio * 100:.0f}%)" if line.key in DEVICE_FIELDS
                            else f"{line.ratio * 100:.0f}%")
            gauge.setStyleSheet(f"QProgressBar::chunk {{ background: {GAUGE_COLORS[line.level]}; }}")
        over = names_over(lines)
        self.budget_warning.setText(("Over budget: " + ", ".join(over)) if over else "")

    def _load_budget(self):
        self._loading = True
        try:
            budget = self.editor.project.budget
            for key, edit in self.budget_edits.items():
                value = budget.get(key, 0)
                edit.setValue(value if isinstance(value, (int, float)) and not isinstance(value, bool) else 0)
            index = self.device_box.findData(budget.get("device") or "")
            self.device_box.setCurrentIndex(max(0, index))
            self.precision_box.setCurrentIndex(max(0, self.precision_box.findData(budget_precision(budget))))
        finally:
            self._loading = False
        if hasattr(self, "totals"):
            self._update_gauges()

    def _set_budget(self, budget: dict, text: str = "Edit budget") -> None:
        if budget != self.editor.project.budget:
            self.editor.stack.push(SetProjectFieldCommand(self.editor.project, "budget", budget,
                                                          self.editor.notify_project_changed, text=text))

    def _budget_edited(self, _value):
        if self._loading:
            return
        budget = {k: v for k, v in self.editor.project.budget.items() if k not in self.budget_edits}
        budget.update({k: (e.value() if isinstance(e, QDoubleSpinBox) else int(e.value()))
                       for k, e in self.budget_edits.items() if e.value()})
        self._set_budget(budget)

    def _device_chosen(self, _index):
        """A preset fills the device's limits, precision and MAC rate in one undo step."""
        if self._loading:
            return
        budget = {k: v for k, v in self.editor.project.budget.items()
                  if k not in ("device", "precision", "macs_per_s", "flash_kb", "ram_kb")}
        chosen = self.device_box.currentData()
        device = next((d for d in self._devices() if d.id == chosen), None)
        if device is not None:
            budget.update({"device": device.id, "precision": device.precision, "macs_per_s": device.macs_per_s})
            budget.update({k: v for k, v in (("flash_kb", device.flash_kb), ("ram_kb", device.ram_kb)) if v})
        self._set_budget(budget, f"Target device: {device.title if device else 'none'}")

    def _precision_chosen(self, _index):
        if not self._loading:
            self._set_budget({**self.editor.project.budget, "precision": self.precision_box.currentData()},
                             "Budget precision")

    @staticmethod
    def _devices():
        try:
            return load_devices()
        except DeviceError:
            return []

    def _diagnostic_clicked(self, item):
        uid = item.data(Qt.UserRole)
        if uid:
            self.node_chosen.emit(uid)


def _amount(value: float) -> str:
    """A gauge's number: 35.1, 1,024, 0.66, <0.01 (a gauge is narrow; its tooltip has the rest)."""
    if value >= 100:
        return f"{value:,.0f}"
    if 0 < value < 0.01:
        return "<0.01"
    return f"{value:.1f}" if value >= 1 else f"{value:.2g}"
