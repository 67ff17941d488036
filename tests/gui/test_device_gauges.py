"""The summary's device gauges: a preset sets the budget in one undo step; flash, RAM and latency live, red when over."""
from __future__ import annotations

import pytest

from gui.editing.commands import SetParamsCommand
from tests.conftest import EXAMPLES, ROOT


def _gauge(window, key):
    return window.summary.gauges[key]


def test_a_device_preset_fills_the_budget_and_the_gauges_follow_edits(make_window, qtbot):
    window = make_window()
    assert window.open_path(EXAMPLES / "digits_cnn.sprout", ask_save=False)
    summary = window.summary
    summary.device_box.setCurrentIndex(summary.device_box.findData("cortex-m4"))
    budget = window.editor.project.budget
    assert budget["device"] == "cortex-m4" and budget["flash_kb"] == 1024 and budget["ram_kb"] == 256
    assert budget["precision"] == "int8" and budget["macs_per_s"] == 5.0e7
    assert summary.gauge_titles["flash_kb"].toolTip() == "Flash (KB, int8)"
    assert _gauge(window, "flash_kb").format() == "35.1 (3%)"  # 35,914 int8 weights of 1,024 KB
    assert summary.budget_edits["flash_kb"].value() == 1024

    summary.budget_edits["flash_kb"].setValue(32)  # an MCU with less room: over
    assert "#d32f2f" in _gauge(window, "flash_kb").styleSheet()
    assert "Flash (KB, int8)" in summary.budget_warning.text()
    summary.precision_box.setCurrentIndex(summary.precision_box.findData("float32"))
    assert summary.gauge_titles["flash_kb"].toolTip() == "Flash (KB, float32)"
    assert _gauge(window, "flash_kb").format().startswith("140")  # 4 bytes a weight

    # the graph changes: a smaller Dense shrinks flash at once
    dense = next(uid for uid, n in window.editor.doc.nodes.items() if n.block == "core.dense")
    window.editor.stack.push(SetParamsCommand(window.editor.doc, dense, {"units": 16}))
    qtbot.waitUntil(lambda: not _gauge(window, "flash_kb").format().startswith("140"), timeout=5000)

    stack = window.editor.stack
    while stack.canUndo():
        stack.undo()
    assert window.editor.project.budget == {}
    assert summary.device_box.currentData() == ""
    assert _gauge(window, "flash_kb").format().endswith("(no limit)")


@pytest.mark.parametrize("size", [(1400, 860), (1280, 720)])
def test_the_gauges_are_readable_at_both_sizes(make_window, qtbot, size):
    window = make_window()
    assert window.open_path(EXAMPLES / "digits_cnn.sprout", ask_save=False)
    window.resize(*size)
    summary = window.summary
    summary.device_box.setCurrentIndex(summary.device_box.findData("cortex-m4"))
    summary.budget_edits["flash_kb"].setValue(32)
    qtbot.wait(100)
    for key in ("flash_kb", "ram_kb", "max_latency_ms"):
        gauge = _gauge(window, key)
        assert gauge.isVisible() and gauge.width() >= 60, (key, gauge.width())
        assert gauge.fontMetrics().horizontalAdvance(gauge.text()) <= gauge.width(), (key, gauge.text())
    shots = ROOT / "tests" / "artifacts"
    shots.mkdir(parents=True, exist_ok=True)
    assert window.grab().save(str(shots / f"device_gauges_{size[0]}x{size[1]}.png"))
