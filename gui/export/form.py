"""The export options form: formats (from the registry), TFLite variants, ONNX opset and the rest."""
from __future__ import annotations

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from engine.export.formats import VARIANTS, formats
from engine.export.options import DEFAULT_OPSET, OPSETS, ExportOptions

VARIANT_TEXT = {"float32": "float32 (none)", "float16": "float16", "dynamic": "dynamic range", "int8": "full int8"}
INT8_IO = (("int8", "int8 tensors (microcontrollers)"), ("float", "float tensors around an int8 body"))
DEFAULT_FORMATS = ("keras", "tflite")


class OptionsForm(QWidget):
    """Every setting of an export; ``changed`` after each edit, ``options()`` reads them."""

    changed = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.format_boxes: dict[str, QCheckBox] = {}
        grid = QGridLayout()
        grid.setVerticalSpacing(2)
        for row, (name, fmt) in enumerate(formats().items()):
            box = QCheckBox(fmt.title)
            box.setChecked(name in DEFAULT_FORMATS)
            box.setToolTip(f"{fmt.title}: each file is loaded and checked by {fmt.client}")
            box.toggled.connect(self._edited)
            client = QLabel(f"checked by {fmt.client}")
            client.setStyleSheet("color: #757575;")
            grid.addWidget(box, row, 0)
            grid.addWidget(client, row, 1)
            self.format_boxes[name] = box
        grid.setColumnStretch(1, 1)
        format_group = QGroupBox("Formats")
        format_group.setLayout(grid)

        self.variant_boxes: dict[str, QCheckBox] = {}
        variants_row = QHBoxLayout()
        for variant in VARIANTS:
            box = QCheckBox(VARIANT_TEXT.get(variant, variant))
            box.setChecked(variant == "float32")
            box.toggled.connect(self._edited)
            variants_row.addWidget(box)
            self.variant_boxes[variant] = box
        variants_row.addStretch(1)
        self.int8_io = QComboBox()
        for value, text in INT8_IO:
            self.int8_io.addItem(text, value)
        self.int8_io.currentIndexChanged.connect(self._edited)
        variant_form = QFormLayout()
        variant_form.addRow("int8 input/output:", self.int8_io)
        variant_layout = QVBoxLayout()
        variant_layout.addLayout(variants_row)
        variant_layout.addLayout(variant_form)
        self.variant_group = QGroupBox("Quantization (TensorFlow Lite and the formats built on it)")
        self.variant_group.setLayout(variant_layout)

        self.opset = QSpinBox()
        self.opset.setRange(OPSETS.start, OPSETS.stop - 1)
        self.opset.setValue(DEFAULT_OPSET)
        self.opset.valueChanged.connect(self._edited)
        self.raw_inputs = QCheckBox("Accept raw inputs (fold the preprocessing into the model)")
        self.raw_inputs.setChecked(True)
        self.raw_inputs.toggled.connect(self._edited)
        self.name = QLineEdit("model")
        self.name.setToolTip("Base name of the files: model -> model.tflite, model_int8.tflite, ...")
        self.name.textChanged.connect(self._edited)
        other = QFormLayout()
        other.addRow("ONNX opset:", self.opset)
        other.addRow("File name:", self.name)
        other.addRow(self.raw_inputs)
        other_group = QGroupBox("Settings")
        other_group.setLayout(other)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(format_group)
        layout.addWidget(self.variant_group)
        layout.addWidget(other_group)
        layout.addStretch(1)
        self._sync()

    def options(self) -> ExportOptions:
        """The settings as options (not yet checked: ``.checked()`` says what is wrong)."""
        return ExportOptions(formats=tuple(n for n, b in self.format_boxes.items() if b.isChecked()),
                             quantize=tuple(v for v, b in self.variant_boxes.items() if b.isChecked()),
                             int8_io=self.int8_io.currentData(), opset=self.opset.value(),
                             raw_inputs=self.raw_inputs.isChecked(), name=self.name.text().strip())

    def tick(self, formats_: tuple[str, ...] | None = None, variants: tuple[str, ...] | None = None) -> None:
        """Tick exactly these formats and/or variants (unknown names are ignored)."""
        for names, boxes in ((formats_, self.format_boxes), (variants, self.variant_boxes)):
            if names is not None:
                for name, box in boxes.items():
                    box.setChecked(name in names)

    def _variants_apply(self) -> bool:
        return any(box.isChecked() and formats()[name].variants for name, box in self.format_boxes.items())

    def _sync(self) -> None:
        self.variant_group.setEnabled(self._variants_apply())
        self.int8_io.setEnabled(self.variant_boxes["int8"].isChecked())
        onnx = self.format_boxes.get("onnx")
        self.opset.setEnabled(onnx is not None and onnx.isChecked())

    @Slot()
    def _edited(self, *_args) -> None:
        self._sync()
        self.changed.emit()
