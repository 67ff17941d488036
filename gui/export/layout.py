"""The export dialog's widgets and their layout (kept apart so the dialog reads as behaviour)."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from gui.export.form import OptionsForm
from gui.export.tables import make_table


def build_widgets(d) -> None:
    """Create the dialog ``d``'s widgets as its attributes and lay them out.

    Source and folder rows on top; the options form on the left; on the right a Plan tab
    (pre-flight over the planned files) and a Results tab; the message line, the progress
    bar and the buttons below.
    """
    d.source_box = QComboBox()
    d.source_box.setMinimumContentsLength(40)
    d.model_button = QPushButton("Model file…")
    d.model_button.setToolTip("Export a .keras or .h5 file instead of a run of this project")
    d.out_edit = QLineEdit()
    d.browse_button = QPushButton("Browse…")
    d.form = OptionsForm()
    d.preflight_table = make_table(["Format", "Block", "What happens"], 2, wrap=True)
    d.plan_table = make_table(["File", "Format", "Variant", "Expected size"], 0)
    d.results_table = make_table(["File", "Size", "Gzipped", "Check", "What the client said"], 4, wrap=True)
    d.progress = QProgressBar()
    d.progress.setFormat("Ready")
    d.progress.setValue(0)
    d.message = QLabel("")
    d.message.setWordWrap(True)
    d.message.setTextInteractionFlags(Qt.TextSelectableByMouse)
    d.export_button = QPushButton("Export")
    d.export_button.setDefault(True)
    d.stop_button = QPushButton("Stop")
    d.stop_button.setToolTip("End the converter now: the files already written are kept, whole")
    d.folder_button = QPushButton("Show in folder")
    d.close_button = QPushButton("Close")

    top = QGridLayout()
    top.addWidget(QLabel("Export:"), 0, 0)
    top.addWidget(d.source_box, 0, 1)
    top.addWidget(d.model_button, 0, 2)
    top.addWidget(QLabel("Into folder:"), 1, 0)
    top.addWidget(d.out_edit, 1, 1)
    top.addWidget(d.browse_button, 1, 2)
    top.setColumnStretch(1, 1)
    plan = QSplitter(Qt.Vertical)
    for title, table in (("Pre-flight: what each format does with each block", d.preflight_table),
                         ("Files to write (sizes estimated from the parameters)", d.plan_table)):
        box = QWidget()
        box_layout = QVBoxLayout(box)
        box_layout.setContentsMargins(0, 0, 0, 0)
        box_layout.addWidget(QLabel(title))
        box_layout.addWidget(table, 1)
        plan.addWidget(box)
    d.tabs = QTabWidget()
    d.tabs.addTab(plan, "Plan")
    d.tabs.addTab(d.results_table, "Results")
    middle = QSplitter(Qt.Horizontal)
    middle.addWidget(d.form)
    middle.addWidget(d.tabs)
    middle.setStretchFactor(1, 1)
    middle.setSizes([400, 640])
    middle.setChildrenCollapsible(False)
    buttons = QHBoxLayout()
    buttons.addWidget(d.progress, 1)
    for b in (d.export_button, d.stop_button, d.folder_button, d.close_button):
        buttons.addWidget(b)
    layout = QVBoxLayout(d)
    layout.addLayout(top)
    layout.addWidget(middle, 1)
    layout.addWidget(d.message)
    layout.addLayout(buttons)
