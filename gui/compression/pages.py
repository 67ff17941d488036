"""The wizard's first three pages, built onto the wizard (its widgets become its attributes).

``self`` below is the :class:`~gui.compression.wizard.CompressWizard`: the pages are
laid out here and their behaviour lives in the wizard.
"""
from __future__ import annotations

import json

from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

METHOD_HELP = {
    "prune": "Pruning zeroes (or removes, structured) the smallest weights. + large gzip savings, no new blocks; "
             "- unstructured sparsity does not shrink the .tflite an MCU stores, only structured does.",
    "quantize": "int8 quantization stores weights and activations in 8 bits. + 4x smaller, fast int8 kernels; "
                "- a small accuracy cost (QAT fine-tuning recovers most of it).",
    "distill": "Knowledge distillation trains a slimmer student on the teacher's soft labels. + any size you "
               "want; - needs training time (epochs) and a good teacher.",
    "factorize": "Low-rank factorization splits a layer into two thinner ones (SVD / Tucker-2). + fewer MACs and "
                 "parameters; - pays off only on large layers, needs fine-tuning.",
}
EXAMPLE_PLAN = {"steps": [{"method": "prune", "sparsity": 0.5, "structured": True, "fine_tune_epochs": 2},
                          {"method": "quantize", "mode": "int8"}]}


def start_page(self) -> QWidget:
    """Start: the run, its baseline, the device, the budget and the graph's gauges."""
    page = QWidget()
    form = QFormLayout(page)
    self.run_box = QComboBox()
    self.run_box.currentIndexChanged.connect(lambda _i: self._refresh_gauges())
    self.baseline = QLabel("")
    self.device_box = QComboBox()
    for d in self.devices:
        self.device_box.addItem(d.title, d.id)
    self.device_box.currentIndexChanged.connect(lambda _i: self._device_changed())
    self.flash = QDoubleSpinBox()
    self.ram = QDoubleSpinBox()
    for box in (self.flash, self.ram):
        box.setRange(0, 1e9)
        box.setSuffix(" KB")
        box.setSpecialValueText("no limit")
        box.valueChanged.connect(lambda _v: self._refresh_gauges())
    self.tolerance = QDoubleSpinBox()
    self.tolerance.setRange(0, 100)
    self.tolerance.setValue(0.5)
    self.tolerance.setSuffix(" points")
    self.gauges = QLabel("")
    self.gauges.setWordWrap(True)
    form.addRow("Trained run", self.run_box)
    form.addRow("Baseline", self.baseline)
    form.addRow("Target device", self.device_box)
    form.addRow("Flash budget", self.flash)
    form.addRow("RAM budget", self.ram)
    form.addRow("Accuracy tolerance", self.tolerance)
    form.addRow("The graph as it stands", self.gauges)
    return page

def fit_page(self) -> QWidget:
    """Fit to budget: the one click, progress and Stop, the plans as they finish, the verdict."""
    page = QWidget()
    layout = QVBoxLayout(page)
    intro = QLabel("Sprout tries int8, structured pruning at growing sparsity, factorization and a slimmer "
                   "student (distillation), measures each in the LiteRT interpreter, and keeps the smallest "
                   "model within your tolerance that fits the budget.")
    intro.setWordWrap(True)
    row = QHBoxLayout()
    self.fit_button = QPushButton("Fit to budget")
    self.fit_button.clicked.connect(self.fit)
    self.stop_button = QPushButton("Stop")
    self.stop_button.clicked.connect(self.stop)
    self.progress = QProgressBar()
    row.addWidget(self.fit_button)
    row.addWidget(self.stop_button)
    row.addWidget(self.progress, 1)
    self.log = QListWidget()
    self.verdict = QLabel("")
    self.verdict.setWordWrap(True)
    layout.addWidget(intro)
    layout.addLayout(row)
    layout.addWidget(self.log, 1)
    layout.addWidget(self.verdict)
    return page

def hand_page(self) -> QWidget:
    """By hand: a plan as JSON, each method's pros and cons, Check and Run."""
    page = QWidget()
    layout = QVBoxLayout(page)
    help_text = QLabel("<br>".join(f"<b>{m}</b>: {t}" for m, t in METHOD_HELP.items()))
    help_text.setWordWrap(True)
    self.plan_edit = QPlainTextEdit(json.dumps(EXAMPLE_PLAN, indent=1))
    row = QHBoxLayout()
    self.check_button = QPushButton("Check plan")
    self.check_button.clicked.connect(self.check_plan)
    self.run_button = QPushButton("Run plan")
    self.run_button.clicked.connect(self.run_plan)
    row.addWidget(self.check_button)
    row.addWidget(self.run_button)
    row.addStretch(1)
    self.plan_note = QLabel("")
    self.plan_note.setWordWrap(True)
    layout.addWidget(help_text)
    layout.addWidget(self.plan_edit, 1)
    layout.addLayout(row)
    layout.addWidget(self.plan_note)
    return page

