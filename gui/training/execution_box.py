"""The two execution settings of the training form: batches per graph call and XLA.

``"auto"`` (the default) lets the run measure them on itself and cache the choice per
graph (``engine.train.calibrate``); a fixed value overrides that. The values are the
project's ``training.steps_per_execution`` and ``training.jit_compile``.
"""
from __future__ import annotations

from PySide6.QtWidgets import QComboBox

BLOCKS = ("auto", "1", "4", "8", "16", "32")
XLA = {"auto": "auto", "on": True, "off": False}


def block_box(on_change) -> QComboBox:
    box = QComboBox()
    box.addItems(list(BLOCKS))
    box.setToolTip("Batches run per call into the graph. auto: the first run of a graph measures 1, 4, 8, 16 "
                   "and 32 on its own first batches and keeps the fastest (remembered per graph). Stop ends "
                   "within one block.")
    box.activated.connect(lambda _i: on_change())
    return box


def xla_box(on_change) -> QComboBox:
    box = QComboBox()
    box.addItems(list(XLA))
    box.setToolTip("XLA compilation of the train step. auto: tried only when a batch takes over 20 ms "
                   "(below that it only costs its compile time) and kept when faster.")
    box.activated.connect(lambda _i: on_change())
    return box


def show(blocks: QComboBox, xla: QComboBox, training: dict) -> None:
    spe = training.get("steps_per_execution", "auto")
    text = "auto" if spe == "auto" else str(spe)
    if blocks.findText(text) < 0:
        blocks.addItem(text)  # a value set in the file or the CLI: shown as it is
    blocks.setCurrentText(text)
    jit = training.get("jit_compile", "auto")
    xla.setCurrentText({True: "on", False: "off"}.get(jit, "auto") if isinstance(jit, bool) or jit == "auto"
                       else "auto")


def values(blocks: QComboBox, xla: QComboBox) -> dict:
    text = blocks.currentText()
    return {"steps_per_execution": "auto" if text == "auto" else int(text), "jit_compile": XLA[xla.currentText()]}
