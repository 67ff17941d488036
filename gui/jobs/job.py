"""The GUI side of a job: starts the worker's thread and relays its reports on the GUI thread.

Threading (DESIGN.md section 6): the worker's signals are connected only to ``@Slot``
methods of a :class:`Job`, an object created on the GUI thread, which re-emits them
there. Consumers connect to the ``Job``'s signals, so they may use any callable, and a
superseded job is silenced with :meth:`Job.ignore` without racing queued events.

A job's QThread must outlive its run (Qt aborts the process when a running QThread is
destroyed), so every started job is held in a module-level set until its thread has
ended, whatever happens to the widget that started it. :func:`wait_all` stops and joins
them before the application goes away (and an ``atexit`` hook joins any left over).
"""
from __future__ import annotations

import atexit
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, QThread, Signal, Slot

from engine.jobs import JobControl
from gui.jobs.worker import Describe, JobFn, JobWorker

_LIVE: set[Job] = set()


class Job(QObject):
    """One engine job on its own thread, over a snapshot; signals carry plain data.

    Args:
        fn: the job, ``fn(snapshot, options, on_progress, control) -> result``.
        snapshot: what the job reads (project text, a dataset request...), never the live document.
        options: the job's options.
        name: the thread's name (shown by debuggers and faulthandler).
        needs_keras: import Keras quietly on the job's thread before ``fn``.
        doing: what the job does, for failure messages ("training").
        describe: turns an unexpected exception into the one-line ``failed`` message.
        owner: when this object is destroyed, the job is stopped and silenced.
    """

    progress = Signal(object)   # list of Progress, at most ~5 times a second
    milestone = Signal(object)  # one Progress, delivered at once
    finished = Signal(object)   # the result
    failed = Signal(str)        # one line
    ended = Signal()            # the thread has ended (after finished or failed)

    def __init__(self, fn: JobFn, snapshot: Any = None, options: Any = None, *, name: str = "sprout-job",
                 needs_keras: bool = False, doing: str = "the job", describe: Describe | None = None,
                 owner: QObject | None = None):
        super().__init__()  # no parent: the module keeps it alive until its thread ends
        self.control = JobControl()
        self.result: Any = None
        self.error: str | None = None
        self.done = False       # finished or failed was delivered
        self.ignored = False
        self._started = False
        self._ended = False
        self._thread = QThread()
        self._thread.setObjectName(name)
        self._worker = JobWorker(fn, snapshot, options, self.control, needs_keras=needs_keras, doing=doing,
                                 describe=describe)
        self._worker.moveToThread(self._thread)
        self._thread.started.connect(self._worker.run)
        self._worker.progress.connect(self._on_progress)
        self._worker.milestone.connect(self._on_milestone)
        self._worker.finished.connect(self._on_finished)
        self._worker.failed.connect(self._on_failed)
        self._thread.finished.connect(self._on_thread_finished)
        if owner is not None:
            owner.destroyed.connect(self._owner_destroyed)

    # -- control (GUI thread) --------------------------------------------------------
    def start(self) -> Job:
        """Start the thread; returns self."""
        if not self._started:
            self._started = True
            _LIVE.add(self)
            self._thread.start()
        return self

    @property
    def running(self) -> bool:
        """True from ``start()`` until the end of the thread has been handled."""
        return self._started and not self._ended

    def stop(self) -> None:
        """Ask the job to stop after its running step (releases a pause too)."""
        self.control.stop()

    def ignore(self) -> None:
        """Deliver nothing more to the consumers (a newer job superseded this one)."""
        self.ignored = True

    def wait(self) -> None:
        """Block until the thread has ended, then deliver its queued reports and result now.

        Used when the GUI must not go on before the job is over (closing the window): the
        reports already queued for this object are sent in order, so ``finished`` or
        ``failed`` and ``ended`` have been emitted when this returns.
        """
        if not self._started or self._ended:
            return
        self._thread.wait()
        QCoreApplication.sendPostedEvents(self, 0)
        if not self._ended:  # the thread's own finished signal may not be queued yet
            self._on_thread_finished()

    # -- worker reports (GUI thread) -------------------------------------------------
    @Slot(object)
    def _on_progress(self, chunk: list) -> None:
        if not self.ignored and not self.done:
            self.progress.emit(chunk)

    @Slot(object)
    def _on_milestone(self, p) -> None:
        if not self.ignored and not self.done:
            self.milestone.emit(p)

    @Slot(object)
    def _on_finished(self, result) -> None:
        if self.done:
            return
        self.done, self.result = True, result
        if not self.ignored:
            self.finished.emit(result)

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        if self.done:
            return
        self.done, self.error = True, message
        if not self.ignored:
            self.failed.emit(message)

    @Slot()
    def _on_thread_finished(self) -> None:
        if self._ended:
            return
        self._thread.wait()  # finished is emitted just before the thread really ends
        self._ended = True
        _LIVE.discard(self)
        if not self.ignored:
            self.ended.emit()

    @Slot()
    def _owner_destroyed(self) -> None:
        self.ignored = True
        self.control.stop()


def live_jobs() -> list[Job]:
    """Jobs started and not yet ended (tests check none is left behind)."""
    return list(_LIVE)


@atexit.register
def _join_at_exit() -> None:
    # Last resort (a script that never called wait_all): a running QThread destroyed at
    # interpreter shutdown aborts the process. Join only; nobody is left to deliver to.
    for job in list(_LIVE):
        job.control.stop()
        job._thread.wait()


def wait_all() -> None:
    """Stop every live job and wait for its thread: before the QApplication goes away."""
    for job in list(_LIVE):
        job.stop()
    for job in list(_LIVE):
        job.wait()
