"""Starting the studio: QApplication, main window, crash autosave, TensorFlow warm-up."""
from __future__ import annotations

import os
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parent.parent / "resources" / "examples" / "digits_cnn.sprout"


def has_display() -> bool:
    """True when Qt can show a window (a display, or an explicit platform plugin)."""
    if os.environ.get("QT_QPA_PLATFORM"):
        return True
    if sys.platform in ("win32", "darwin"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def run_gui(project: str | None = None) -> int:
    """Open the main window on ``project`` (or the example) and run the event loop."""
    from PySide6.QtWidgets import QApplication

    from gui.main_thread_gc import MainThreadCollector
    from gui.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setOrganizationName("Sprout")
    app.setApplicationName("Sprout")
    MainThreadCollector(app).install()  # garbage with Qt objects in it is never collected by a job's thread
    window = MainWindow()
    previous_hook = sys.excepthook

    def crash_hook(kind, value, tb):  # keep the user's edits if something goes badly wrong
        window.editor.autosave_now()
        previous_hook(kind, value, tb)

    sys.excepthook = crash_hook
    screen = app.primaryScreen()
    if screen is not None:
        fit_to_screen(window, screen.availableGeometry().size())
    window.show()
    if project:
        window.open_path(project, ask_save=False)
    elif not window.offer_untitled_recovery():
        window.open_path(EXAMPLE, template=True, ask_save=False)
    code = app.exec()
    sys.excepthook = previous_hook
    dispose(app, window)
    return code


def fit_to_screen(window, available) -> bool:
    """Maximize a window that would not fit the screen's free area (a 1280x720 laptop); True if so.

    The default layout follows the window's size, so the maximized window gets docks sized for it.
    """
    from PySide6.QtCore import Qt

    frame = 16, 40  # a window manager's borders and title bar, which ``size()`` leaves out
    if window.width() + frame[0] <= available.width() and window.height() + frame[1] <= available.height():
        return False
    window.setWindowState(window.windowState() | Qt.WindowMaximized)
    return True


def dispose(app, window) -> None:
    """Delete the window's C++ side while the QApplication still exists.

    Left to interpreter shutdown, Python may free the QApplication first, and Qt then
    tears down the pyqtgraph widgets without it: a segfault after a clean close. Jobs
    still running (a data preview, the TensorFlow warm-up) are stopped and joined first:
    Qt aborts the process when a running QThread is destroyed.
    """
    from PySide6.QtCore import QCoreApplication, QEvent

    from gui.jobs import wait_all

    window.close()
    wait_all()
    window.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.DeferredDelete)
    app.processEvents()
