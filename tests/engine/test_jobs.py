"""The job contract: progress reports, pause/resume/stop, and the atomic writer jobs write through."""
from __future__ import annotations

import os
import stat
import threading
import time

import pytest

from engine import atomic
from engine.jobs import JobControl, Progress


def test_progress_fraction_and_defaults():
    p = Progress("train", 3, 12, "epoch 1/4", {"loss": 0.5})
    assert p.fraction == 0.25 and not p.milestone
    assert Progress("export", 1).fraction is None  # unknown total
    assert Progress("epoch", 5, 4).fraction == 1.0  # clipped
    with pytest.raises(AttributeError):
        p.step = 4  # frozen: a report is a value, safe to hand across threads


def test_run_control_blocks_while_paused_and_stop_releases():
    control = JobControl(poll_s=0.01)
    assert control.should_stop() is False and control.polls == 1
    control.pause()
    answers = []
    t = threading.Thread(target=lambda: answers.append(control.should_stop()))
    t.start()
    deadline = time.monotonic() + 5
    while not control.waiting and time.monotonic() < deadline:
        time.sleep(0.005)
    assert control.waiting and answers == []  # parked between two steps
    control.resume()
    t.join(5)
    assert answers == [False] and control.polls == 2 and control.paused_seconds() > 0
    control.pause()
    t = threading.Thread(target=lambda: answers.append(control.should_stop()))
    t.start()
    control.stop()  # a paused run must still be stoppable
    t.join(5)
    assert answers == [False, True] and not control.paused and control.polls == 2




def test_wait_if_paused_returns_at_once_when_running():
    control = JobControl()
    t0 = time.perf_counter()
    control.wait_if_paused()
    assert time.perf_counter() - t0 < 0.05 and control.polls == 0  # waiting is not a step


# -- the atomic writer -----------------------------------------------------------------
def test_atomic_write_replaces_and_keeps_the_mode(tmp_path):
    path = tmp_path / "f.json"
    path.write_text("old")
    os.chmod(path, 0o644)
    atomic.write_text(path, "new")
    assert path.read_text() == "new" and stat.S_IMODE(path.stat().st_mode) == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["f.json"]  # no temporary left behind


def test_a_new_file_gets_the_umask_mode(tmp_path):
    old = os.umask(0o027)
    try:
        atomic.write_text(tmp_path / "n.txt", "x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "n.txt").stat().st_mode) == 0o640


def test_a_failed_write_leaves_the_old_file_byte_identical(tmp_path):
    path = tmp_path / "model.keras"
    path.write_bytes(b"precious")
    with pytest.raises(OSError), atomic.replacing(path) as tmp:
        tmp.write_bytes(b"half a fi")
        raise OSError(28, "No space left on device")  # the disk fills mid-write
    assert path.read_bytes() == b"precious"
    assert [p.name for p in tmp_path.iterdir()] == ["model.keras"]


def test_the_temporary_keeps_the_suffix(tmp_path):
    with atomic.replacing(tmp_path / "m.keras") as tmp:
        assert tmp.suffix == ".keras" and tmp.parent == tmp_path  # Keras picks the format by suffix
        tmp.write_bytes(b"zip")
    assert (tmp_path / "m.keras").read_bytes() == b"zip"
