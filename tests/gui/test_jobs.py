"""The one GUI worker: buffering, milestones, pause/stop, failures, superseded jobs, waiting."""
from __future__ import annotations

import threading
import time

from PySide6.QtCore import QCoreApplication, QObject, Qt, QThread, Slot

from engine.errors import SproutError
from engine.jobs import Progress
from gui.jobs import FLUSH_S, Job, live_jobs

STEPS = 300


class Recorder(QObject):
    """A GUI-thread consumer of a job's signals, noting the thread every signal arrived on."""

    def __init__(self, job: Job):
        super().__init__()
        self.events: list[tuple[str, object]] = []
        self.threads: set[bool] = set()
        job.progress.connect(self.on_progress)
        job.milestone.connect(self.on_milestone)
        job.finished.connect(self.on_finished)
        job.failed.connect(self.on_failed)
        job.ended.connect(self.on_ended)

    def _add(self, kind, payload=None):
        self.threads.add(QThread.currentThread() is QCoreApplication.instance().thread())
        self.events.append((kind, payload))

    @Slot(object)
    def on_progress(self, chunk):
        self._add("progress", chunk)

    @Slot(object)
    def on_milestone(self, p):
        self._add("milestone", p)

    @Slot(object)
    def on_finished(self, result):
        self._add("finished", result)

    @Slot(str)
    def on_failed(self, message):
        self._add("failed", message)

    @Slot()
    def on_ended(self):
        self._add("ended")

    def kinds(self) -> list[str]:
        return [k for k, _ in self.events]

    def steps(self) -> list[int]:
        return [p.step for k, chunk in self.events if k == "progress" for p in chunk]


def keras_like_job(snapshot, options, on_progress, control):
    """Reports every step from a helper thread (as Keras does) while its own thread polls."""
    done = threading.Event()
    idents = {"job": threading.get_ident()}

    def helper():
        idents["helper"] = threading.get_ident()
        for i in range(STEPS):
            on_progress(Progress("train", i + 1, STEPS, metrics={"loss": 1.0 / (i + 1)}))
            time.sleep(0.002)
        done.set()

    t = threading.Thread(target=helper)
    t.start()
    while not done.is_set():
        control.should_stop()
        time.sleep(0.005)
    t.join()
    on_progress(Progress("epoch", 1, 1, milestone=True))
    return idents


def counting_job(snapshot, options, on_progress, control):
    steps = 0
    while not control.should_stop():
        steps += 1
        on_progress(Progress("step", steps))
        time.sleep(0.002)
    return steps


def test_reports_are_buffered_sent_from_the_job_thread_in_order_and_milestones_follow(qtbot):
    job = Job(keras_like_job, name="test-buffer")
    rec = Recorder(job)
    emitted_on = set()
    # Deliberately a direct connection to the worker: it tells which thread emits.
    job._worker.progress.connect(lambda _c: emitted_on.add(threading.get_ident()), Qt.DirectConnection)
    t0 = time.perf_counter()
    job.start()
    qtbot.waitUntil(lambda: "ended" in rec.kinds(), timeout=20_000)
    elapsed = time.perf_counter() - t0
    idents = job.result
    assert emitted_on == {idents["job"]} and idents["helper"] != idents["job"]
    assert rec.steps() == list(range(1, STEPS + 1))  # every step, once, in order
    chunks = rec.kinds().count("progress")
    assert 2 <= chunks <= elapsed / FLUSH_S + 3  # ~5 a second, not one per step
    assert rec.kinds()[-3:] == ["milestone", "finished", "ended"]
    assert rec.threads == {True} and not job.running and job not in live_jobs()


def test_pause_holds_the_job_between_steps_and_stop_returns_its_result(qtbot):
    job = Job(counting_job, name="test-pause")
    rec = Recorder(job)
    job.start()
    qtbot.waitUntil(lambda: len(rec.steps()) >= 3, timeout=10_000)
    job.control.pause()
    qtbot.waitUntil(lambda: job.control.waiting, timeout=5_000)
    qtbot.wait(2 * int(FLUSH_S * 1000))
    held = len(rec.steps())
    qtbot.wait(300)
    assert len(rec.steps()) == held and job.running  # nothing ran while paused
    job.control.resume()
    qtbot.waitUntil(lambda: len(rec.steps()) > held, timeout=5_000)
    job.stop()
    qtbot.waitUntil(lambda: not job.running, timeout=5_000)
    assert rec.kinds()[-2:] == ["finished", "ended"] and job.result == rec.steps()[-1]
    assert job.control.paused_seconds() >= 0.3


def _failing(exc):
    def job(snapshot, options, on_progress, control):
        raise exc
    return job


def test_failures_become_one_line_messages(qtbot):
    cases = [(SproutError("The data file is missing."), "The data file is missing."),
             (MemoryError(), "Out of memory while training (MemoryError). Try a smaller batch size"),
             (RuntimeError("boom\nsecond line"), "Training failed: RuntimeError: boom")]
    for exc, expected in cases:
        job = Job(_failing(exc), doing="training")
        rec = Recorder(job)
        job.start()
        qtbot.waitUntil(lambda rec=rec: "ended" in rec.kinds(), timeout=10_000)
        assert rec.kinds() == ["failed", "ended"] and rec.events[0][1].startswith(expected)
        assert "\n" not in rec.events[0][1] and job.error == rec.events[0][1]


def test_an_ignored_job_delivers_nothing(qtbot):
    job = Job(counting_job, name="test-ignore")
    rec = Recorder(job)
    job.start()
    job.ignore()
    qtbot.wait(3 * int(FLUSH_S * 1000))
    job.stop()
    qtbot.waitUntil(lambda: not job.running, timeout=5_000)
    assert rec.events == [] and job.done and job.result > 0


def test_wait_delivers_the_outcome_before_returning(qtbot):
    job = Job(counting_job, name="test-wait")
    rec = Recorder(job)
    job.start()
    qtbot.waitUntil(lambda: len(rec.steps()) >= 1, timeout=10_000)
    job.stop()
    job.wait()  # no event loop runs between here and the asserts
    assert rec.kinds()[-2:] == ["finished", "ended"] and rec.steps()[-1] == job.result
    assert not job.running and job not in live_jobs()


def test_a_job_whose_owner_is_destroyed_is_stopped_and_silenced(qtbot):
    owner = QObject()
    job = Job(counting_job, name="test-owner", owner=owner)
    rec = Recorder(job)
    job.start()
    qtbot.waitUntil(lambda: len(rec.steps()) >= 1, timeout=10_000)
    count = len(rec.events)
    owner.deleteLater()
    qtbot.waitUntil(lambda: not job.running, timeout=5_000)
    assert job.control.stopped and len(rec.events) == count and job.done
