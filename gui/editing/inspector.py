"""The inspector: typed editors built from a block's parameter specs."""
from __future__ import annotations

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from blocks.spec import ParamError
from gui.editing.commands import RenameNodeCommand, SetParamsCommand

INT_LIMIT = 2_000_000_000


class Inspector(QScrollArea):
    """Shows the single selected node; every edit is an undo command."""

    def __init__(self, editor, parent=None):
        super().__init__(parent)
        self.editor = editor
        self.uid: str | None = None
        self.editors: dict[str, object] = {}
        self._updating = False
        self._unsubscribe = None
        self.setWidgetResizable(True)
        self._empty()
        editor.document_replaced.connect(self._rebind)
        self._rebind()

    def _rebind(self):
        if self._unsubscribe:
            self._unsubscribe()
        self._unsubscribe = self.editor.doc.subscribe(self._on_event)
        self.show_node(None)

    def _on_event(self, event):
        if event.uid != self.uid:
            return
        if event.kind == "node_removed":
            self.show_node(None)
        elif event.kind in ("params_changed", "title_changed"):
            self._load_values()

    def _empty(self, text="Select one block to edit its parameters."):
        w = QLabel(text)
        w.setAlignment(Qt.AlignTop | Qt.AlignLeft)
        w.setWordWrap(True)
        w.setMargin(10)
        w.setStyleSheet("color: #6b7280;")
        self.setWidget(w)

    def show_group(self, gid: str, rename) -> None:
        """A selected unit: its title (editable) and members."""
        group = next((g for g in self.editor.project.groups if g.id == gid), None)
        if group is None:
            return self.show_node(None)
        self.uid, self.editors = None, {}
        page = QWidget()
        outer = QVBoxLayout(page)
        outer.addWidget(QLabel(f"<b>Unit</b> <span style='color:#6b7280'>group {gid} · "
                               f"{len(group.nodes)} blocks</span>"))
        form = QFormLayout()
        self.group_title = QLineEdit(group.title)
        self.group_title.editingFinished.connect(lambda: rename(gid, self.group_title.text().strip()))
        form.addRow("Title", self.group_title)
        outer.addLayout(form)
        members = QLabel("Blocks: " + ", ".join(f"{self.editor.doc.node(u).title} ({u})" for u in group.nodes
                                                if u in self.editor.doc.nodes)
                         + "<br><br>Double-click the unit on the canvas to expand or collapse it.")
        members.setWordWrap(True)
        outer.addWidget(members)
        outer.addStretch(1)
        self.setWidget(page)

    def show_node(self, uid: str | None) -> None:
        """Build editors for node ``uid`` (None clears the panel)."""
        self.uid = uid
        self.editors = {}
        if uid is None or uid not in self.editor.doc.nodes:
            self.uid = None
            self._empty()
            return
        spec = self.editor.doc.spec(uid)
        page = QWidget()
        outer = QVBoxLayout(page)
        head = QLabel(f"<b>{spec.title}</b> <span style='color:#6b7280'>{spec.id} · node {uid}</span>")
        outer.addWidget(head)
        form = QFormLayout()
        self.title_edit = QLineEdit()
        self.title_edit.editingFinished.connect(self._rename)
        form.addRow("Title", self.title_edit)
        for p in spec.params:
            widget = self._make_editor(p)
            widget.setToolTip(f"{p.help}\nAccepted: {p.describe_range()}")
            label = QLabel(p.name.replace("_", " "))
            label.setToolTip(p.help)
            form.addRow(label, widget)
            self.editors[p.name] = widget
        outer.addLayout(form)
        help_text = QLabel(spec.doc + (f"<br><br><b>Pros:</b> {spec.pros}" if spec.pros else "")
                           + (f"<br><b>Cons:</b> {spec.cons}" if spec.cons else "")
                           + (f"<br><b>Reference:</b> {spec.reference}" if spec.reference else ""))
        help_text.setWordWrap(True)
        help_text.setStyleSheet("color: #374151; padding-top: 8px;")
        outer.addWidget(help_text)
        outer.addStretch(1)
        self.setWidget(page)
        self._load_values()

    def _make_editor(self, p):
        if p.kind == "bool":
            w = QCheckBox()
            w.toggled.connect(lambda v, n=p.name: self._edit(n, bool(v)))
        elif p.kind == "choice":
            w = QComboBox()
            for c in p.choices:
                w.addItem(str(c), c)
            w.currentIndexChanged.connect(lambda i, n=p.name, box=w: self._edit(n, box.itemData(i)))
        elif p.kind == "int":
            w = self._int_box(p)
            w.valueChanged.connect(lambda v, n=p.name: self._edit(n, int(v)))
        elif p.kind == "float":
            w = QDoubleSpinBox()
            w.setDecimals(6 if (p.high or 1) <= 10 else 3)
            step = 10 ** -w.decimals()
            w.setRange((p.low if p.low is not None else -1e9) + (step if p.low_open else 0),
                       (p.high if p.high is not None else 1e9) - (step if p.high_open else 0))
            w.setSingleStep(0.05 if (p.high or 10) <= 1 else 0.1)
            w.valueChanged.connect(lambda v, n=p.name: self._edit(n, float(v)))
        elif p.kind == "tuple":
            w = QWidget()
            row = QHBoxLayout(w)
            row.setContentsMargins(0, 0, 0, 0)
            w.boxes = []
            for _ in range(len(p.default)):
                box = self._int_box(p)
                box.valueChanged.connect(lambda _v, n=p.name, holder=w: self._edit(n, [b.value() for b in holder.boxes]))
                row.addWidget(box)
                w.boxes.append(box)
        else:
            w = QLineEdit()
            w.editingFinished.connect(lambda n=p.name, edit=w: self._edit(n, edit.text()))
        return w

    @staticmethod
    def _int_box(p) -> QSpinBox:
        box = QSpinBox()
        box.setRange(int(p.low) if p.low is not None else -INT_LIMIT,
                     min(int(p.high), INT_LIMIT) if p.high is not None else INT_LIMIT)
        box.setKeyboardTracking(False)
        return box

    def _load_values(self):
        if self.uid is None:
            return
        node = self.editor.doc.node(self.uid)
        self._updating = True
        try:
            if self.title_edit.text() != node.title:
                self.title_edit.setText(node.title)
            for name, w in self.editors.items():
                value = node.params[name]
                if isinstance(w, QCheckBox):
                    w.setChecked(bool(value))
                elif isinstance(w, QComboBox):
                    w.setCurrentIndex(max(0, w.findData(value)))
                elif isinstance(w, (QSpinBox, QDoubleSpinBox)):
                    w.setValue(value)
                elif hasattr(w, "boxes"):
                    if len(w.boxes) == len(value):
                        for box, v in zip(w.boxes, value):
                            box.setValue(int(v))
                elif isinstance(w, QLineEdit):
                    w.setText(str(value))
        finally:
            self._updating = False

    def _edit(self, name: str, value) -> None:
        if self._updating or self.uid is None:
            return
        current = self.editor.doc.node(self.uid).params[name]
        if (list(current) if isinstance(current, tuple) else current) == value:
            return
        try:
            self.editor.doc.spec(self.uid).param(name).validate(value)
        except ParamError as exc:
            window = self.window()
            if hasattr(window, "statusBar"):
                window.statusBar().showMessage(str(exc), 5000)
            self._load_values()
            return
        self.editor.stack.push(SetParamsCommand(self.editor.doc, self.uid, {name: value}))

    @Slot()
    def _rename(self):
        if self.uid is None or self._updating:
            return
        text = self.title_edit.text().strip()
        if text and text != self.editor.doc.node(self.uid).title:
            self.editor.stack.push(RenameNodeCommand(self.editor.doc, self.uid, text))
