"""The wizard's last page: the chosen compressed model into the export dialog, pre-filled for the device.

The export dialog of Model > Export... opens over the wizard with the chosen model as its
source (exported with the run's data, so int8 calibrates on the same samples) and the
formats that suit the target device ticked: TFLite int8 and a C header for an MCU, TFLite
for a phone, ONNX for a PC (the preset's ``formats``). The dialog writes the model card.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget

from engine.export.source import device_options


class ExportPage(QWidget):
    """What will be exported, and the button that opens the export dialog for it."""

    def __init__(self, wizard):
        super().__init__()
        self.wizard = wizard
        self.dialog = None
        layout = QVBoxLayout(self)
        self.summary = QLabel("Run a search or a plan first: the chosen model is exported from here.")
        self.summary.setWordWrap(True)
        self.button = QPushButton("Export the chosen model…")
        self.button.setEnabled(False)
        self.button.clicked.connect(self.open_dialog)
        layout.addWidget(self.summary)
        layout.addWidget(self.button)
        layout.addStretch(1)
        self.chosen: dict | None = None

    def choose(self, row: dict | None, label: str) -> None:
        """The model to export: a result row with ``model_file`` (the fit's winner or a plan's last step)."""
        self.chosen = row if row and row.get("model_file") and Path(row["model_file"]).is_file() else None
        self.label = label
        self.button.setEnabled(self.chosen is not None)
        if self.chosen is None:
            self.summary.setText("No model to export: nothing fitted the budget within the tolerance "
                                 "(the Results page says what binds).")
            return
        device = self.wizard.device()
        names, variants = device_options(device.formats)
        self.summary.setText(
            f"<b>{label}</b><br>{self.chosen['model_file']}<br><br>For <b>{device.title}</b> the export "
            f"dialog opens with {', '.join(names)} ticked ({', '.join(variants)}); every file is checked by "
            "the program that will run it, and a model card is written beside them.")

    def open_dialog(self):
        """Open the export dialog over the wizard, pre-filled; returns it (None without a chosen model)."""
        from gui.export import ExportDialog, fit_to
        from gui.export.sources import compressed_choice

        if self.chosen is None or self.wizard.run_folder() is None:
            return None
        if self.dialog is not None and self.dialog.isVisible():
            self.dialog.raise_()
            return self.dialog
        dialog = ExportDialog(self.wizard.editor, self.wizard.untitled_root, None, parent=self.wizard)
        params = self.chosen.get("params")
        dialog.add_source(compressed_choice(self.chosen["model_file"], self.wizard.run_folder(), self.label,
                                            int(params) if isinstance(params, int) else None))
        names, variants = device_options(self.wizard.device().formats)
        dialog.form.tick(names, variants)
        fit_to(dialog, self.wizard)
        dialog.show()
        self.dialog = dialog
        return dialog
