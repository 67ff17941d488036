"""engine/reader.py: regular files only, never a hang, bounded by bytes actually read."""
from __future__ import annotations

import os
import socket
import stat

import pytest

from engine import reader
from engine.errors import DataError, SproutError
from tests.engine.data.hostile import needs_dev_zero, needs_fifo, needs_proc, one_line, raises_within


def test_reads_a_regular_file_up_to_the_limit(tmp_path):
    path = tmp_path / "f.bin"
    path.write_bytes(b"x" * 1000)
    assert reader.read_bytes(path, 1000) == b"x" * 1000
    with pytest.raises(SproutError, match=r"larger than 999 bytes"):
        reader.read_bytes(path, 999)


def test_error_class_and_what_are_the_callers(tmp_path):
    with pytest.raises(DataError, match=r"no such CSV file"):
        reader.read_bytes(tmp_path / "none.csv", 10, "CSV file", DataError)
    with pytest.raises(DataError, match=r"is a folder, not a CSV file"):
        reader.read_bytes(tmp_path, 10, "CSV file", DataError)
    with pytest.raises(DataError, match=r"cannot read the CSV file"):
        reader.read_bytes(str(tmp_path / "a\0b"), 10, "CSV file", DataError)


@needs_fifo
def test_fifo_is_refused_without_opening_it(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    exc = raises_within(1.0, lambda: reader.read_bytes(fifo, 100, "CSV file", DataError), fifo)
    assert "is a FIFO (named pipe), not a regular file" in one_line(exc, DataError)


@needs_fifo
def test_file_swapped_for_a_fifo_after_the_stat_is_caught_by_fstat(tmp_path, monkeypatch):
    """The race: the path is a regular file when stat'ed and a FIFO when opened."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    regular = os.stat(__file__)
    monkeypatch.setattr(reader.os, "stat", lambda p: regular)
    exc = raises_within(1.0, lambda: reader.read_bytes(fifo, 100, "file", DataError), fifo)
    assert "is a FIFO" in one_line(exc, DataError)


@needs_dev_zero
def test_devices_and_symlinks_to_them_are_refused(tmp_path):
    link = tmp_path / "x.csv"
    link.symlink_to("/dev/zero")
    for path in ("/dev/zero", link):
        exc = raises_within(1.0, lambda p=path: reader.read_bytes(p, 1 << 30, "CSV file", DataError))
        assert "is a character device, not a regular file" in one_line(exc, DataError)


def test_socket_is_refused(tmp_path):
    if not hasattr(socket, "AF_UNIX"):
        pytest.skip("no Unix sockets")
    path = tmp_path / "s"
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(path))
        assert stat.S_ISSOCK(os.stat(path).st_mode)
        with pytest.raises(DataError, match="is a socket"):
            reader.read_bytes(path, 100, "file", DataError)


@needs_proc
def test_limit_counts_bytes_read_not_st_size():
    """/proc files are regular with st_size 0 but have content: the size cannot be trusted."""
    assert os.stat("/proc/self/status").st_size == 0
    assert len(reader.read_bytes("/proc/self/status", 1 << 20)) > 100
    with pytest.raises(SproutError, match="larger than 100 bytes"):
        reader.read_bytes("/proc/self/status", 100)


def test_unreadable_file_is_one_line(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root reads everything")
    path = tmp_path / "secret.csv"
    path.write_text("a")
    path.chmod(0)
    with pytest.raises(DataError, match=r"cannot read the CSV file \(Permission denied\)"):
        reader.read_bytes(path, 10, "CSV file", DataError)


def test_read_text_names_the_bad_byte(tmp_path):
    path = tmp_path / "t.txt"
    path.write_bytes(b"ok\xff")
    assert reader.read_text(path, 10, encoding="latin-1") == "ok\xff"
    with pytest.raises(DataError, match=r"not UTF-8 text \(byte 2\)"):
        reader.read_text(path, 10, "text", DataError)
