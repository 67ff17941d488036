"""The export dialog's three tables: the pre-flight, the planned files and the results."""
from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem

from engine.export.formats import formats
from gui.export.sources import expected_size, human_size

RED, GREEN, GREY = QColor("#c62828"), QColor("#2e7d32"), QColor("#757575")
RED_BACK = QColor("#fdecea")


def make_table(headers: list[str], stretch: int, wrap: bool = False) -> QTableWidget:
    """A read-only table whose column ``stretch`` takes the spare width (its long lines wrapped if ``wrap``)."""
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.setEditTriggers(QAbstractItemView.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectRows)
    table.setWordWrap(wrap)
    table.verticalHeader().setVisible(False)
    table.verticalHeader().setDefaultSectionSize(22)
    header = table.horizontalHeader()
    for col in range(len(headers)):
        header.setSectionResizeMode(col, QHeaderView.Stretch if col == stretch else QHeaderView.ResizeToContents)
    if wrap:  # rows grow to show whole messages, again once the columns have settled after a resize
        later = QTimer(table)
        later.setSingleShot(True)
        later.setInterval(0)
        later.timeout.connect(table.resizeRowsToContents)
        header.sectionResized.connect(lambda *_: later.start())
    return table


def _fill(table: QTableWidget, rows: list[tuple[list[str], QColor | None, bool]]) -> None:
    """Replace the rows: (cells, text colour, red background)."""
    table.setRowCount(len(rows))
    for r, (cells, colour, alarm) in enumerate(rows):
        for c, text in enumerate(cells):
            item = QTableWidgetItem(text)
            item.setToolTip(text)
            if colour is not None:
                item.setForeground(QBrush(colour))
            if alarm:
                item.setBackground(QBrush(RED_BACK))
            if c > 0 and (text[:1].isdigit() or text.startswith("about")):
                item.setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
            table.setItem(r, c, item)
    if table.wordWrap():
        table.resizeRowsToContents()


def _title(name: str) -> str:
    fmt = formats().get(name)
    return fmt.title if fmt is not None else name


def show_preflight(table: QTableWidget, pre) -> None:
    """The pre-flight rows; refused ones in red. ``pre`` None means nothing could be checked."""
    if pre is None:
        _fill(table, [])
        return
    rows = [([_title(r.format), f"{r.block} ({r.uid})" if r.uid else r.block,
              ("REFUSED: " if r.level == "refuse" else "") + r.message],
             RED if r.level == "refuse" else None, r.level == "refuse") for r in pre.rows]
    if not rows:
        rows = [(["every format", "every block", "exported as it is, nothing to note"], GREY, False)]
    _fill(table, rows)


def show_plan(table: QTableWidget, planned: list[tuple[str, str, str]], refused, params: int | None) -> None:
    """The files the export will write with their expected sizes (refused formats marked)."""
    rows = []
    for fmt, variant, name in planned:
        shown = variant if fmt in formats() and formats()[fmt].variants else "–"
        if fmt in refused:
            rows.append(([name, _title(fmt), shown, "refused: not written"], RED, True))
        else:
            rows.append(([name, _title(fmt), shown, human_size(expected_size(fmt, variant, params), about=True)],
                         None, False))
    _fill(table, rows)


def show_results(table: QTableWidget, result) -> None:
    """Every file written (size, gzipped, check) and every file that failed, ok/failed in colour."""
    rows = [([a.path.name, human_size(a.size), human_size(a.gzip_size), "ok" if a.ok else "FAILED", a.message],
             GREEN if a.ok else RED, not a.ok) for a in result.artifacts]
    rows += [([e["file"], "–", "–", "not written", e["message"]], RED, True) for e in result.errors]
    rows += [([p.name, human_size(p.stat().st_size) if p.is_file() else "–", "", "card", "the model card"], GREY,
              False) for p in result.card]
    _fill(table, rows)


def summary_of(result) -> tuple[str, str, bool]:
    """(progress bar text, message line, True when it is bad news) for a finished export."""
    written = len(result.artifacts)
    passed = sum(a.ok for a in result.artifacts)
    failed = len(result.errors) + written - passed
    if result.stopped:
        return "Stopped", f"Stopped: {written} file(s) written, the rest not started. Every file left is whole.", True
    if failed:
        return "Finished with failures", (f"{failed} file(s) failed (red rows); {passed} written and passed "
                                          "their check."), True
    return "Done", f"Exported {written} file(s) into {result.out_dir}; every check passed.", False
