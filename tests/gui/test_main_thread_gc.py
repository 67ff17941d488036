"""Garbage holding Qt objects is collected on the GUI thread, never by a job's thread.

The deadlock this prevents (gui/main_thread_gc.py) needs two threads destroying Qt
objects at once; what these tests pin down is its cause: which thread runs the cyclic
collector when a worker allocates a lot (as importing TensorFlow does).
"""
from __future__ import annotations

import gc
import threading

from PySide6.QtCore import QObject


class _Cycle:
    """A reference cycle holding a QObject, as a dialog kept alive by its own lambda slot is."""

    def __init__(self, collected_in: list):
        self.me = self
        self.obj = QObject()
        self.collected_in = collected_in

    def __del__(self):  # runs in the thread whose collection freed the cycle (and its QObject with it)
        self.collected_in.append(threading.current_thread().name)


def _allocate_in_a_worker() -> None:
    def work():
        junk = []
        for _ in range(200_000):  # crosses every generation's threshold many times
            node = []
            node.append(node)
            junk.append(node)
            if len(junk) > 1000:
                junk.clear()
    worker = threading.Thread(target=work, name="worker")
    worker.start()
    worker.join()


def test_with_the_collector_the_gui_thread_collects_the_cycle(main_thread_gc, qtbot):
    assert not gc.isenabled()
    destroyed_in: list = []
    _Cycle(destroyed_in)
    _allocate_in_a_worker()
    assert destroyed_in == []  # the worker did not collect it
    qtbot.waitUntil(lambda: bool(destroyed_in), timeout=5000)  # the GUI thread's timer did
    assert destroyed_in == ["MainThread"]


def test_without_it_the_allocating_worker_would_collect_the_cycle(main_thread_gc, qtbot):
    """The control: with the interpreter's automatic collection, the worker is the one that collects."""
    main_thread_gc.uninstall()
    try:
        destroyed_in: list = []
        _Cycle(destroyed_in)
        _allocate_in_a_worker()
        assert destroyed_in == ["worker"]
    finally:
        main_thread_gc.install()
