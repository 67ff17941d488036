"""Python's cyclic garbage collector runs on the GUI thread only.

The collector runs in whichever thread happens to allocate when a threshold is crossed.
When that is a job's worker thread (importing TensorFlow allocates a lot) and the garbage
holds Qt objects (a closed dialog kept in a reference cycle by a lambda slot), the worker
destroys them: ``QObject::~QObject`` takes Qt's connection mutex and then waits for the GIL
to ask Python about an override, while the GUI thread, holding the GIL, deletes another
object that needs the same mutex. Both wait forever (caught with py-spy in a GUI test:
the job thread in ``gc_collect_main`` -> ``QObject::~QObject`` -> ``GilState::acquire``, the
GUI thread in ``~QObject`` -> ``QBasicMutex::lockInternal``).

So, as pyqtgraph advises for threaded Qt programs, automatic collection is switched off and
the GUI thread collects on a timer, generation by generation with the interpreter's own
thresholds, so the same garbage is collected as before, only always here. Reference
counting (most garbage) is untouched.
"""
from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

INTERVAL_MS = 500


class MainThreadCollector(QObject):
    """Owns the collector while it lives: ``install()`` it once, on the GUI thread."""

    def __init__(self, parent: QObject | None = None, interval_ms: int = INTERVAL_MS):
        super().__init__(parent)
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.collect)
        self.collections = 0

    def install(self) -> MainThreadCollector:
        """Switch automatic collection off and start collecting here."""
        gc.disable()
        self.timer.start()
        return self

    def uninstall(self) -> None:
        """Collect once more and give collection back to the interpreter."""
        self.timer.stop()
        gc.collect()
        gc.enable()

    def collect(self) -> None:
        """What the interpreter would have collected since the last tick (its thresholds, per generation)."""
        thresholds = gc.get_threshold()
        for generation in range(3):
            if gc.get_count()[generation] > thresholds[generation]:
                gc.collect(generation)
                self.collections += 1
