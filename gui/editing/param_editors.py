"""One editor widget per parameter kind, each showing a value exactly as it is.

Every editor has ``set_value(value)`` (shows it, emits nothing), ``value()`` (what it
shows, in the parameter's type) and ``edited(name, value)``, emitted only for the
user's own changes. The contract the inspector relies on is the round trip: for any
valid value, ``spec.validate(editor.value())`` after ``set_value(value)`` is the value
unchanged. An editor that cannot show a value faithfully must widen itself (range,
decimals, number of boxes) rather than clamp: a clamp would be a silent edit the next
time the user touches the field.
"""
from __future__ import annotations

from decimal import Decimal

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLineEdit,
    QSpinBox,
    QToolButton,
    QWidget,
)

INT_LIMIT = 2_000_000_000  # inside QSpinBox's 32-bit range
FLOAT_LIMIT = 1e9  # default span of an unbounded float box; widened to fit a larger value
MAX_DECIMALS = 15  # a double's significant digits: more would show only noise
FREE_LENGTH = (1, 8)  # axes allowed for a tuple parameter whose spec gives no length


class _Emits:
    """Shared plumbing: suppress ``edited`` while showing a value, emit it otherwise."""

    def _setup(self, spec) -> None:
        self.spec, self._loading = spec, False

    def set_value(self, value) -> None:
        self._loading = True
        try:
            self._show(value)
        finally:
            self._loading = False

    @Slot()
    def _changed(self, *_args) -> None:
        if not self._loading:
            self.edited.emit(self.spec.name, self.value())


class BoolEditor(_Emits, QCheckBox):
    """A check box."""

    edited = Signal(str, object)

    def __init__(self, spec, parent=None):
        super().__init__(parent)
        self._setup(spec)
        self.toggled.connect(self._changed)

    def _show(self, value) -> None:
        self.setChecked(bool(value))

    def value(self) -> bool:
        return self.isChecked()


class ChoiceEditor(_Emits, QComboBox):
    """A drop-down of the spec's choices; items carry the choice itself (str or int)."""

    edited = Signal(str, object)

    def __init__(self, spec, parent=None):
        super().__init__(parent)
        self._setup(spec)
        for c in spec.choices:
            self.addItem(str(c), c)
        self.currentIndexChanged.connect(self._changed)

    def _show(self, value) -> None:
        self.setCurrentIndex(max(0, self.findData(value)))

    def value(self):
        return self.currentData()


class IntEditor(_Emits, QSpinBox):
    """A spin box within the spec's bounds."""

    edited = Signal(str, object)

    def __init__(self, spec, parent=None):
        super().__init__(parent)
        self._setup(spec)
        int_range(self, spec)
        self.setKeyboardTracking(False)  # one edit per finished number, not per key
        self.valueChanged.connect(self._changed)

    def _show(self, value) -> None:
        self.setValue(int(value))

    def value(self) -> int:
        return int(super().value())


class FloatEditor(_Emits, QDoubleSpinBox):
    """A spin box whose decimals and range grow to show a value exactly."""

    edited = Signal(str, object)

    def __init__(self, spec, parent=None):
        super().__init__(parent)
        self._setup(spec)
        self._base_decimals = 6 if (spec.high or 1) <= 10 else 3
        self._fit(spec.default)
        self.setSingleStep(0.05 if (spec.high or 10) <= 1 else 0.1)
        self.setKeyboardTracking(False)
        self.valueChanged.connect(self._changed)

    def _fit(self, value: float) -> None:
        """Decimals and range that hold ``value``: QDoubleSpinBox rounds and clamps."""
        p, value = self.spec, float(value)
        self.setDecimals(max(self._base_decimals, min(decimals_of(value), MAX_DECIMALS)))
        step = 10 ** -self.decimals()  # an open bound is excluded by one displayed step
        span = max(FLOAT_LIMIT, abs(value))
        self.setRange(p.low + (step if p.low_open else 0) if p.low is not None else -span,
                      p.high - (step if p.high_open else 0) if p.high is not None else span)

    def _show(self, value) -> None:
        self._fit(value)
        self.setValue(float(value))

    def value(self) -> float:
        return float(super().value())


class TextEditor(_Emits, QLineEdit):
    """A line of text, committed when editing finishes."""

    edited = Signal(str, object)

    def __init__(self, spec, parent=None):
        super().__init__(parent)
        self._setup(spec)
        self.editingFinished.connect(self._changed)

    def _show(self, value) -> None:
        if self.text() != str(value):
            self.setText(str(value))

    def value(self) -> str:
        return self.text()


class TupleEditor(_Emits, QWidget):
    """One integer box per axis of the value, with buttons to add or remove the last axis.

    The number of boxes follows the value (an Input of shape (4,) has one box), within
    the spec's allowed lengths; adding or removing an axis is an edit like any other.
    """

    edited = Signal(str, object)

    def __init__(self, spec, parent=None):
        super().__init__(parent)
        self._setup(spec)
        self.lengths = spec.length or FREE_LENGTH
        self.boxes: list[QSpinBox] = []
        self.row = QHBoxLayout(self)
        self.row.setContentsMargins(0, 0, 0, 0)
        self.remove_button = self._button("−", "Remove the last axis", self._remove_axis)
        self.add_button = self._button("+", "Add an axis", self._add_axis)
        self.set_value(spec.default)

    def _button(self, text: str, tip: str, slot) -> QToolButton:
        button = QToolButton(self)
        button.setText(text)
        button.setToolTip(tip)
        button.setAutoRaise(True)
        button.clicked.connect(slot)
        self.row.addWidget(button)
        button.setVisible(self.lengths[0] != self.lengths[1])  # a fixed length (a pair) needs neither
        return button

    def _show(self, value) -> None:
        while len(self.boxes) > len(value):
            box = self.boxes.pop()
            self.row.removeWidget(box)
            box.hide()  # deleteLater waits for the event loop; until then the box must not be drawn
            box.deleteLater()
        while len(self.boxes) < len(value):
            box = QSpinBox(self)
            int_range(box, self.spec)
            box.setKeyboardTracking(False)
            box.valueChanged.connect(self._changed)
            self.row.insertWidget(len(self.boxes), box)
            self.boxes.append(box)
        for box, v in zip(self.boxes, value):
            box.setValue(int(v))
        self.remove_button.setEnabled(len(self.boxes) > self.lengths[0])
        self.add_button.setEnabled(len(self.boxes) < self.lengths[1])

    def value(self) -> tuple[int, ...]:
        return tuple(int(b.value()) for b in self.boxes)

    @Slot()
    def _add_axis(self) -> None:
        if len(self.boxes) < self.lengths[1]:
            low, high = self.spec.low, self.spec.high
            fill = max(1, int(low)) if low is not None else 1  # 1: an axis that adds no values
            fill = min(fill, int(high)) if high is not None else fill
            self.edited.emit(self.spec.name, (*self.value(), fill))

    @Slot()
    def _remove_axis(self) -> None:
        if len(self.boxes) > self.lengths[0]:
            self.edited.emit(self.spec.name, self.value()[:-1])


EDITORS = {"bool": BoolEditor, "choice": ChoiceEditor, "int": IntEditor, "float": FloatEditor,
           "tuple": TupleEditor, "str": TextEditor}


def make_editor(spec, parent=None):
    """The editor widget for ``spec`` (a :class:`blocks.spec.ParamSpec`), showing its default."""
    editor = EDITORS.get(spec.kind, TextEditor)(spec, parent)
    editor.set_value(spec.default)
    return editor


def int_range(box: QSpinBox, spec) -> None:
    """The spec's integer bounds on ``box``, within what a QSpinBox holds."""
    box.setRange(max(int(spec.low), -INT_LIMIT) if spec.low is not None else -INT_LIMIT,
                 min(int(spec.high), INT_LIMIT) if spec.high is not None else INT_LIMIT)


def decimals_of(value: float) -> int:
    """Digits after the point in the shortest text of ``value`` (0.001 -> 3, 1e-07 -> 7)."""
    exponent = Decimal(repr(float(value))).as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0
