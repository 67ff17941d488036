"""Child process for the start-up benchmark: show the window, print the elapsed time, exit."""
from __future__ import annotations

import sys
import time

T0 = time.perf_counter()


def main() -> None:
    from PySide6.QtWidgets import QApplication

    app = QApplication(sys.argv[:1])
    from gui.main_window import MainWindow

    window = MainWindow(warm_up=False)
    window.show()
    app.processEvents()
    shown = time.perf_counter() - T0
    heavy = [m for m in ("tensorflow", "keras") if m in sys.modules]
    print(f"{shown:.4f} {','.join(heavy) or '-'}")
    window.editor.stack.setClean()
    from gui.app import dispose

    dispose(app, window)


if __name__ == "__main__":
    main()
