"""Errors reach the dialog (issue 9, item 9), not only the status bar."""
from __future__ import annotations

from PySide6.QtWidgets import QMessageBox

from gui.editing.editor import Editor
from gui.main_window import MainWindow


def _corrupt(tmp_path):
    path = tmp_path / "broken.sprout"
    path.write_text('{"format": "sprout", "version": 1, "nodes": [', encoding="utf-8")
    return path


def test_error_opening_a_corrupt_project_goes_through_ask(make_window, tmp_path):
    window = make_window()
    assert not window.open_path(_corrupt(tmp_path), ask_save=False)
    assert window.asked == ["Cannot open project"]
    assert "not valid JSON" in window.statusBar().currentMessage()


def test_unscripted_window_shows_a_warning_box(qtbot, tmp_path, monkeypatch):
    shown = []

    def fake_exec(box):  # a modal exec would block the test: record what would show
        shown.append((box.icon(), box.windowTitle(), box.text(), [b.text() for b in box.buttons()]))
        return 0

    monkeypatch.setattr(QMessageBox, "exec", fake_exec)
    window = MainWindow(Editor(autosave_folder=tmp_path / "autosave"), warm_up=False)
    qtbot.addWidget(window)
    assert not window.open_path(_corrupt(tmp_path), ask_save=False)
    assert len(shown) == 1
    icon, title, text, buttons = shown[0]
    assert icon == QMessageBox.Warning and title == "Cannot open project" and buttons == ["OK"]
    assert "broken.sprout" in text and "not valid JSON" in text
