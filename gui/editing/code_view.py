"""'View code': the Keras code that builds the current graph, read-only and copyable."""
from __future__ import annotations

from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QPlainTextEdit, QVBoxLayout


class CodeDialog(QDialog):
    """Shows generated code (or the error that prevents generating it)."""

    def __init__(self, code: str, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Keras code for this graph")
        self.resize(860, 560)
        self.text = QPlainTextEdit(code)
        self.text.setReadOnly(True)
        self.text.setLineWrapMode(QPlainTextEdit.NoWrap)  # a wrapped trailing comment reads as broken Python
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.FixedFont))
        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        copy = buttons.addButton("Copy", QDialogButtonBox.ActionRole)
        copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(self.text.toPlainText()))
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addWidget(buttons)
