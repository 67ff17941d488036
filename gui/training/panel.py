"""Training setup: where the data comes from, how it is split, and the hyper-parameters.

Every edit is a ``SetProjectFieldCommand`` on ``project.data`` or ``project.training``,
so it is undoable and marks the project modified. The data preview is a small job on the
GUI's one worker (``gui.jobs``): scikit-learn's import and a user's image folder both
take a while, and only the newest request's answer is shown.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QTimer, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from engine.analysis.data_check import DataInfo
from engine.data.datasets import EMBEDDED, DataConfig
from engine.train.config import OPTIMIZERS, TrainConfig
from gui.editing.commands import SetProjectFieldCommand
from gui.jobs import Job, describe_plainly
from gui.training import execution_box
from gui.training.results import thumbnail

PREVIEW_SAMPLES = 8


def preview_job(data: dict, base_dir: Path | None, _on_progress=None, _control=None) -> dict:
    """A job (``engine.jobs``): load the dataset ``data`` names and summarize it for the preview.

    Args:
        data: the project's data section (the job's snapshot).
        base_dir: the project's folder, for relative data paths (the job's options).

    Returns:
        ``describe``, ``kind``, ``classes``, per-class ``counts`` and a few ``samples``
        as (array, caption) pairs.

    Raises:
        SproutError: the data cannot be read.
    """
    from engine.data.datasets import load_dataset

    ds = load_dataset(DataConfig.from_dict(data), base_dir=base_dir)
    y = np.concatenate([ds.y_train, ds.y_val, ds.y_test])
    return {"describe": ds.describe(), "kind": ds.kind, "classes": list(ds.class_names),
            "info": DataInfo.of_dataset(ds, data),
            "counts": np.bincount(y.astype(np.int64), minlength=ds.num_classes).tolist() if ds.num_classes else [],
            "samples": [(ds.x_train[i], ds.class_names[int(ds.y_train[i])] if ds.num_classes
                         else f"{float(ds.y_train[i]):.3g}") for i in range(min(PREVIEW_SAMPLES, len(ds.x_train)))]}


class SetupPanel(QWidget):
    """The form for ``project.data`` and ``project.training`` with a data preview."""

    def __init__(self, editor, parent=None):
        super().__init__(parent)
        self.editor = editor
        self._loading = False
        t_defaults, d_defaults = TrainConfig(), DataConfig()

        data_box = QGroupBox("Data")
        form = QFormLayout(data_box)
        form.setRowWrapPolicy(QFormLayout.WrapLongRows)
        self.source = QComboBox()
        self.source.setEditable(True)
        self.source.addItems(list(EMBEDDED))
        self.source.setToolTip("An embedded dataset, or a path: image folder (one sub-folder per class), .csv or .npz")
        self.source.activated.connect(lambda _i: self._commit_data())
        self.source.lineEdit().editingFinished.connect(self._commit_data)
        pick = QHBoxLayout()
        self.folder_button = QPushButton("Image folder…")
        self.folder_button.clicked.connect(self._pick_folder)
        self.file_button = QPushButton("CSV / NPZ…")
        self.file_button.clicked.connect(self._pick_file)
        pick.addWidget(self.folder_button)
        pick.addWidget(self.file_button)
        self.val_fraction = self._fraction(d_defaults.val_fraction)
        self.test_fraction = self._fraction(d_defaults.test_fraction)
        self.label = QLineEdit(d_defaults.label)
        self.label.setToolTip("The label column of a CSV file")
        self.label.editingFinished.connect(self._commit_data)
        self.normalize = QCheckBox("Standardize table columns")
        self.normalize.toggled.connect(self._commit_data)
        form.addRow("Source", self.source)
        form.addRow("", pick)
        form.addRow("Validation share", self.val_fraction)
        form.addRow("Test share", self.test_fraction)
        form.addRow("CSV label column", self.label)
        form.addRow("", self.normalize)

        self.preview_text = QLabel("Loading preview…")
        self.preview_text.setWordWrap(True)
        self.samples_host = QWidget()
        self.samples = QHBoxLayout(self.samples_host)
        self.samples.setContentsMargins(0, 0, 0, 0)
        self.samples.setSpacing(1)
        self.balance = pg.PlotWidget(background="w")
        self.balance.setFixedHeight(110)
        self.balance.setMouseEnabled(x=False, y=False)
        self.balance.hideButtons()
        self.balance.setTitle("Class balance", size="8pt")
        self.balance.hide()  # until the preview has counts: no empty axes under "Loading preview…"
        self.bars = None
        form.addRow(self.preview_text)
        form.addRow(self.samples_host)
        form.addRow(self.balance)

        hyper_box = QGroupBox("Hyper-parameters")
        hform = QFormLayout(hyper_box)
        hform.setRowWrapPolicy(QFormLayout.WrapLongRows)
        self.optimizer = QComboBox()
        self.optimizer.addItems(list(OPTIMIZERS))
        self.optimizer.activated.connect(lambda _i: self._commit_training())
        self.learning_rate = QDoubleSpinBox()
        self.learning_rate.setDecimals(6)
        self.learning_rate.setRange(1e-6, 100.0)
        self.learning_rate.setSingleStep(0.0005)
        self.learning_rate.setValue(t_defaults.learning_rate)
        self.batch_size = self._int_box(1, 65536, t_defaults.batch_size)
        self.epochs = self._int_box(1, 100_000, t_defaults.epochs)
        self.seed = self._int_box(0, 2**31 - 1, t_defaults.seed)
        self.early_stopping = self._int_box(0, 10_000, t_defaults.early_stopping)
        self.early_stopping.setSpecialValueText("off")
        self.early_stopping.setToolTip("Stop after this many epochs without a better validation loss")
        for box in (self.learning_rate,):
            box.setKeyboardTracking(False)
            box.valueChanged.connect(self._commit_training)
        hform.addRow("Optimizer", self.optimizer)
        hform.addRow("Learning rate", self.learning_rate)
        hform.addRow("Batch size", self.batch_size)
        hform.addRow("Epochs", self.epochs)
        hform.addRow("Seed", self.seed)
        hform.addRow("Early stopping (patience)", self.early_stopping)
        self.blocks = execution_box.block_box(self._commit_training)
        self.xla = execution_box.xla_box(self._commit_training)
        hform.addRow("Batches per call", self.blocks)
        hform.addRow("XLA", self.xla)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addWidget(data_box)
        layout.addWidget(hyper_box)
        layout.addStretch(1)

        self._preview: Job | None = None
        self._preview_timer = QTimer(self)
        self._preview_timer.setSingleShot(True)
        self._preview_timer.setInterval(300)
        self._preview_timer.timeout.connect(self.refresh_preview)
        editor.project_changed.connect(self.load)
        editor.document_replaced.connect(self.load)
        self.load()

    def _fraction(self, value: float) -> QDoubleSpinBox:
        box = QDoubleSpinBox()
        box.setRange(0.0, 0.85)
        box.setSingleStep(0.05)
        box.setDecimals(2)
        box.setValue(value)
        box.setKeyboardTracking(False)
        box.valueChanged.connect(self._commit_data)
        return box

    def _int_box(self, lo: int, hi: int, value: int) -> QSpinBox:
        box = QSpinBox()
        box.setRange(lo, hi)
        box.setValue(value)
        box.setKeyboardTracking(False)
        box.valueChanged.connect(self._commit_training)
        return box

    # -- model -> form ---------------------------------------------------------------
    @Slot()
    def load(self) -> None:
        """Show the open project's settings."""
        project = self.editor.project
        d, t = project.data, project.training
        dd, td = DataConfig(), TrainConfig()
        self._loading = True
        try:
            self.source.setEditText(str(d.get("source", dd.source)))
            self.val_fraction.setValue(float(d.get("val_fraction", dd.val_fraction)))
            self.test_fraction.setValue(float(d.get("test_fraction", dd.test_fraction)))
            self.label.setText(str(d.get("label", dd.label)))
            self.normalize.setChecked(bool(d.get("normalize", dd.normalize)))
            self.optimizer.setCurrentText(str(t.get("optimizer", td.optimizer)))
            self.learning_rate.setValue(float(t.get("learning_rate", td.learning_rate)))
            for key in ("batch_size", "epochs", "seed", "early_stopping"):
                value = t.get(key, getattr(td, key))
                getattr(self, key).setValue(int(value) if isinstance(value, (int, float)) else getattr(td, key))
            execution_box.show(self.blocks, self.xla, t)
        finally:
            self._loading = False
        self._preview_timer.start()

    # -- form -> model ---------------------------------------------------------------
    def data_values(self) -> dict:
        """The data section as the form shows it."""
        return {**self.editor.project.data, "source": self.source.currentText().strip() or "digits",
                "val_fraction": round(self.val_fraction.value(), 4), "test_fraction": round(self.test_fraction.value(), 4),
                "label": self.label.text().strip() or "label", "normalize": self.normalize.isChecked()}

    def training_values(self) -> dict:
        """The training section as the form shows it."""
        return {**self.editor.project.training, "optimizer": self.optimizer.currentText(),
                "learning_rate": float(self.learning_rate.value()), "batch_size": self.batch_size.value(),
                "epochs": self.epochs.value(), "seed": self.seed.value(), "early_stopping": self.early_stopping.value(),
                **execution_box.values(self.blocks, self.xla)}

    @Slot()
    def _commit_data(self) -> None:
        self._push("data", self.data_values())

    @Slot()
    def _commit_training(self) -> None:
        self._push("training", self.training_values())

    def _push(self, field: str, value: dict) -> None:
        project = self.editor.project
        if self._loading or value == getattr(project, field):
            return
        self.editor.stack.push(SetProjectFieldCommand(project, field, value, on_change=self.editor.notify_project_changed))

    @Slot()
    def _pick_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Image folder (one sub-folder per class)", str(self._base() or Path.home()))
        if path:
            self.source.setEditText(path)
            self._commit_data()

    @Slot()
    def _pick_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Data file", str(self._base() or Path.home()), "Data (*.csv *.npz)")
        if path:
            self.source.setEditText(path)
            self._commit_data()

    def _base(self) -> Path | None:
        return self.editor.path.parent if self.editor.path else None

    # -- preview ---------------------------------------------------------------------
    @Slot()
    def refresh_preview(self) -> None:
        """Load a few samples and the class counts in the background."""
        if self._preview is not None:
            self._preview.ignore()  # superseded: its answer, whenever it comes, is not shown
        self.preview_text.setText("Loading preview…")
        self._preview = Job(preview_job, dict(self.editor.project.data), self._base(), name="data-preview",
                            describe=describe_plainly, owner=self)
        self._preview.finished.connect(self._preview_loaded)
        self._preview.failed.connect(self._preview_failed)
        self._preview.start()

    @Slot(str)
    def _preview_failed(self, message: str) -> None:
        self._preview_loaded({"error": message})

    @Slot(object)
    def _preview_loaded(self, info: dict) -> None:
        while self.samples.count():
            self.samples.takeAt(0).widget().deleteLater()
        if self.bars is not None:
            self.balance.removeItem(self.bars)
            self.bars = None
        if "error" in info:
            self.preview_text.setText(f"<span style='color:#d32f2f'>{info['error']}</span>")
            return
        self.preview_text.setText(info["describe"])
        self.editor.set_data_info(info["info"])  # the graph is now checked against this data
        if info["kind"] == "image":
            for x, label in info["samples"]:
                self.samples.addWidget(thumbnail(x, label, size=30))
        elif info["samples"]:
            x, label = info["samples"][0]
            values = ", ".join(f"{v:.3g}" for v in np.ravel(x)[:6])
            first = QLabel(f"First sample: [{values}{', …' if np.size(x) > 6 else ''}] → {label}")
            first.setWordWrap(True)  # a long row must not widen the dock
            self.samples.addWidget(first)
        counts = info["counts"]
        if counts:
            self.bars = pg.BarGraphItem(x=np.arange(len(counts)), height=counts, width=0.7, brush="#90caf9")
            self.balance.addItem(self.bars)
            ticks = [(i, name[:6]) for i, name in enumerate(info["classes"])]
            self.balance.getAxis("bottom").setTicks([ticks if len(ticks) <= 12 else ticks[:: max(1, len(ticks) // 12)]])
            self.balance.setTitle(f"Class balance: {min(counts)}–{max(counts)} samples per class", size="8pt")
        self.balance.setVisible(bool(counts))
