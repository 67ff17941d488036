""""Try alternatives...": which blocks a node could be, ticked into the experiment's variants."""
from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QDialog, QDialogButtonBox, QLabel, QVBoxLayout

from engine.experiments.alternatives import Alternative, alternatives, factor_specs


class AlternativesDialog(QDialog):
    """A check box per alternative of one node; ``specs()`` are the factors to add."""

    def __init__(self, doc, uid: str, parent=None):
        super().__init__(parent)
        node = doc.node(uid)
        self.setWindowTitle(f"Try alternatives to {node.title}")
        self.options: list[tuple[QCheckBox, Alternative]] = []
        layout = QVBoxLayout(self)
        found = alternatives(doc, uid)
        intro = QLabel(f"Each ticked choice becomes a variant of the experiment, trained beside the graph as "
                       f"it is ({node.title}, {node.block}), over the experiment's seeds."
                       if found else f"No block here can stand in for {node.title} ({node.block}).")
        intro.setWordWrap(True)
        layout.addWidget(intro)
        for alt in found:
            box = QCheckBox(alt.text)
            box.setToolTip(f"swap:{alt.kind}={alt.other}")
            box.setChecked(alt.other in ("paper.swish", "paper.hard_swish", "paper.octconv"))
            layout.addWidget(box)
            self.options.append((box, alt))
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.button(QDialogButtonBox.Ok).setText("Add to experiment")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def chosen(self) -> list[Alternative]:
        return [alt for box, alt in self.options if box.isChecked()]

    def specs(self) -> list[str]:
        return factor_specs(self.chosen())
