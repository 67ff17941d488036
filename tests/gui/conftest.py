"""GUI fixtures: an isolated QSettings store, and a main window that never blocks on dialogs."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QCoreApplication, QSettings


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path_factory, qapp):
    folder = tmp_path_factory.mktemp("settings")
    QCoreApplication.setOrganizationName("SproutTests")
    QCoreApplication.setApplicationName("SproutTests")
    QSettings.setDefaultFormat(QSettings.IniFormat)
    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, str(folder))
    QSettings().clear()
    yield


@pytest.fixture(scope="package", autouse=True)
def main_thread_gc(qapp):
    """As in the app (gui/main_thread_gc.py): garbage is collected on the GUI thread only."""
    from gui.main_thread_gc import MainThreadCollector

    collector = MainThreadCollector(qapp).install()
    yield collector
    collector.uninstall()


@pytest.fixture(autouse=True)
def no_job_left_behind(qapp, main_thread_gc):
    """Every test ends with its jobs' threads joined (a running QThread destroyed later aborts
    Python), then collects here, on the GUI thread, what the interpreter would have collected
    by now (its thresholds: a full collection after every test would take seconds each)."""
    yield
    from gui.jobs import live_jobs, wait_all

    wait_all()
    assert live_jobs() == []
    main_thread_gc.collect()


@pytest.fixture
def make_window(qtbot, tmp_path):
    """Build MainWindows with a scripted ``ask`` (default answer: the first button)."""
    from gui.editing.editor import Editor
    from gui.main_window import MainWindow

    windows = []

    def make(answers=None):
        editor = Editor(autosave_folder=tmp_path / "autosave")
        window = MainWindow(editor, warm_up=False)
        window.asked = []

        def ask(title, text, buttons):
            window.asked.append(title)
            scripted = {"Unsaved changes": "Discard", **(answers or {})}
            return scripted.get(title, buttons[0])

        window.ask = ask
        qtbot.addWidget(window)
        window.show()
        windows.append(window)
        return window

    yield make
    for w in windows:
        w.editor.stack.setClean()  # close without prompts


@pytest.fixture
def window(make_window):
    return make_window()
