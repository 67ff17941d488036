"""The inspector: typed editors (gui.editing.param_editors) built from a block's parameter specs."""
from __future__ import annotations

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from blocks.spec import ParamError
from gui.editing.commands import RenameNodeCommand, SetParamsCommand
from gui.editing.param_editors import make_editor
from gui.layout_state import FitWidthScrollArea


class Inspector(FitWidthScrollArea):
    """Shows the single selected node; every edit is an undo command.

    As wide as the shown block's editors need (a long label goes above its editor), so the
    dock around it never hides an editor behind a sideways scroll.
    """

    def __init__(self, editor, parent=None):
        super().__init__(parent)
        self.editor = editor
        self.uid: str | None = None
        self.editors: dict[str, object] = {}
        self._updating = False
        self._unsubscribe = None
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
        form.setRowWrapPolicy(QFormLayout.WrapLongRows)
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
        form.setRowWrapPolicy(QFormLayout.WrapLongRows)
        self.title_edit = QLineEdit()
        self.title_edit.editingFinished.connect(self._rename)
        form.addRow("Title", self.title_edit)
        for p in spec.params:
            widget = make_editor(p)
            widget.edited.connect(self._edit)
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

    def _load_values(self):
        if self.uid is None:
            return
        node = self.editor.doc.node(self.uid)
        self._updating = True
        try:
            if self.title_edit.text() != node.title:
                self.title_edit.setText(node.title)
            for name, w in self.editors.items():
                w.set_value(node.params[name])  # shows the value as it is: no editor rewrites it
        finally:
            self._updating = False

    @Slot(str, object)
    def _edit(self, name: str, value) -> None:
        """An editor's change: one undo command, unless it changes nothing or is invalid."""
        if self._updating or self.uid is None:
            return
        try:
            clean = self.editor.doc.spec(self.uid).param(name).validate(value)
        except ParamError as exc:
            window = self.window()
            if hasattr(window, "statusBar"):
                window.statusBar().showMessage(str(exc), 5000)
            self._load_values()
            return
        if clean == self.editor.doc.node(self.uid).params[name]:
            return
        self.editor.stack.push(SetParamsCommand(self.editor.doc, self.uid, {name: clean}))

    @Slot()
    def _rename(self):
        if self.uid is None or self._updating:
            return
        text = self.title_edit.text().strip()
        if text and text != self.editor.doc.node(self.uid).title:
            self.editor.stack.push(RenameNodeCommand(self.editor.doc, self.uid, text))
