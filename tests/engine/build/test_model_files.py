"""Model files are written atomically: a failed or killed save leaves the old file whole (issue 9, item 2)."""
from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from engine.build.modelio import ModelFileError, save_model
from tests.conftest import ROOT


def _model(units=4):
    import keras

    inp = keras.Input(shape=(3,))
    return keras.Model(inp, keras.layers.Dense(units)(inp))


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_a_full_disk_during_save_leaves_the_old_file_byte_identical(suffix, tmp_path, monkeypatch):
    path = tmp_path / f"m{suffix}"
    save_model(_model(), path)
    os.chmod(path, 0o644)
    old = path.read_bytes()
    model = _model(units=7)
    real_save = type(model).save

    def save_then_fill_the_disk(self, filepath, *args, **kwargs):
        real_save(self, filepath, *args, **kwargs)
        with open(filepath, "r+b") as fh:  # the disk filled up half-way through the file
            fh.truncate(os.path.getsize(filepath) // 2)
        raise OSError(28, "No space left on device")

    def write_half_then_fill_the_disk(self, data):
        real_write(self, data[:len(data) // 2])
        raise OSError(28, "No space left on device")

    if suffix == ".keras":
        monkeypatch.setattr(type(model), "save", save_then_fill_the_disk)
    else:  # .h5 is built in memory and written as bytes (HDF5 on a full disk crashes the process)
        real_write = Path.write_bytes
        monkeypatch.setattr(Path, "write_bytes", write_half_then_fill_the_disk)
    with pytest.raises(ModelFileError) as info:
        save_model(model, path)
    assert "No space left on device" in str(info.value) and "\n" not in str(info.value)
    assert path.read_bytes() == old and stat.S_IMODE(path.stat().st_mode) == 0o644
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]  # the temporary is gone


CHILD = """
import sys
sys.path.insert(0, sys.argv[1])
import keras
from engine.build.modelio import save_model
inp = keras.Input(shape=(64,))
model = keras.Model(inp, keras.layers.Dense(10)(keras.layers.Dense(512)(inp)))
print("ready", flush=True)
while True:
    save_model(model, sys.argv[2])
"""


def test_kill_9_during_saves_never_leaves_a_truncated_model(tmp_path):
    path = tmp_path / "model.keras"
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "KERAS_BACKEND": "tensorflow"}
    for delay in (0.07, 0.23):
        child = subprocess.Popen([sys.executable, "-c", CHILD, str(ROOT), str(path)], stdout=subprocess.PIPE,
                                 stderr=subprocess.DEVNULL, env=env)
        assert child.stdout.readline().strip() == b"ready"
        time.sleep(delay)  # somewhere inside one of the saves
        child.send_signal(signal.SIGKILL)
        child.wait(30)
        if path.exists():
            assert zipfile.is_zipfile(path), f"truncated model after kill at {delay}s"
            with zipfile.ZipFile(path) as archive:
                assert archive.testzip() is None
    assert path.exists()


def test_a_fifo_named_like_a_model_is_refused_at_once(tmp_path):
    from engine.build.modelio import load_model

    fifo = tmp_path / "m.keras"
    os.mkfifo(fifo)
    with pytest.raises(ModelFileError, match="not a regular file"):
        load_model(fifo)
