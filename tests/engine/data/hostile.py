"""Helpers for hostile-file tests: FIFOs, devices, and calls that must not hang."""
from __future__ import annotations

import contextlib
import json
import os
import sys
import threading
import time

import pytest

needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
needs_dev_zero = pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero")
needs_proc = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs Linux's /proc")


def raises_within(seconds: float, call, fifo=None) -> BaseException:
    """Run ``call`` in a thread; return what it raised, failing if it hangs or returns.

    A call blocked opening ``fifo`` is released (by opening the FIFO's write end and
    closing it, which gives the reader end-of-file) so a failing test never hangs the run.
    """
    box: dict = {}

    def run():
        try:
            box["result"] = call()
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            box["error"] = exc

    worker = threading.Thread(target=run, daemon=True)
    start = time.monotonic()
    worker.start()
    worker.join(seconds)
    elapsed = time.monotonic() - start
    if worker.is_alive():
        if fifo is not None:
            with contextlib.suppress(OSError):
                os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        worker.join(5)
        pytest.fail(f"still running after {elapsed:.1f} s (hangs on a non-regular file)")
    if "error" not in box:
        pytest.fail(f"returned {box.get('result')!r} instead of refusing the file")
    return box["error"]


def one_line(exc: BaseException, cls: type) -> str:
    """The message of ``exc``, asserting it is one line of class ``cls``."""
    assert isinstance(exc, cls), f"{type(exc).__name__}: {exc}"
    text = str(exc)
    assert text and "\n" not in text and "Traceback" not in text
    return text


def project_text(**top) -> str:
    """A small valid project (Input -> Dense on iris) as file text, with top-level keys replaced."""
    base = {"format": "sprout", "version": 1,
            "nodes": [{"id": "n1", "block": "core.input", "params": {"shape": [4]}, "position": [0, 0],
                       "title": "Input"},
                      {"id": "n2", "block": "core.dense", "params": {"units": 3}, "position": [200, 0],
                       "title": "Dense"}],
            "links": [{"from": ["n1", "out"], "to": ["n2", "in"]}], "data": {"source": "iris"}}
    base.update(top)
    return json.dumps(base)
