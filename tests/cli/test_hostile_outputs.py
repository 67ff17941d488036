"""Bad output places and numbers: exit 1, one line, the old file untouched (issue 9, items 2 and 6)."""
from __future__ import annotations

import contextlib
import subprocess

import pytest

from main import main
from tests.conftest import EXAMPLES

IRIS = str(EXAMPLES / "iris_mlp.sprout")
CNN = str(EXAMPLES / "digits_cnn.sprout")


def _one_error_line(capsys) -> str:
    err = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip() and not ln.startswith("note:")]
    assert len(err) == 1 and err[0].startswith("error: "), err
    assert "Traceback" not in err[0]
    return err[0]


@contextlib.contextmanager
def _tmpfs(path, size: str, read_only: bool = False):
    """A tiny file system at ``path`` (needs root and mount; the test is skipped otherwise)."""
    path.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                      capture_output=True).returncode != 0:
        pytest.skip("cannot mount a tmpfs here (needs root)")
    try:
        yield path
        if read_only:
            pass
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True)


def _remount_ro(path):
    subprocess.run(["mount", "-o", "remount,ro", str(path)], check=True, capture_output=True)


def test_train_out_that_is_a_file_is_refused_before_training(tmp_path, capsys):
    out = tmp_path / "results"
    out.write_text("mine")
    assert main(["train", IRIS, "--epochs", "1", "--out", str(out)]) == 1
    assert "is a file, not a folder" in _one_error_line(capsys) and out.read_text() == "mine"


def test_export_under_a_file_is_one_line(tmp_path, capsys):
    (tmp_path / "f").write_text("x")
    assert main(["export", IRIS, "--format", "h5", "--out", str(tmp_path / "f" / "m.h5")]) == 1
    assert "is a file, not a folder" in _one_error_line(capsys)


def test_huge_epochs_is_one_line(capsys, tmp_path):
    assert main(["train", IRIS, "--epochs", "9" * 60, "--out", str(tmp_path / "o")]) == 1
    assert "training.epochs" in _one_error_line(capsys)


def test_train_onto_a_read_only_file_system(tmp_path, capsys):
    with _tmpfs(tmp_path / "ro", "1m") as fs:
        _remount_ro(fs)
        assert main(["train", IRIS, "--epochs", "1", "--out", str(fs / "run")]) == 1
        assert "Read-only file system" in _one_error_line(capsys)


@pytest.mark.parametrize("fmt, suffix", [("h5", ".h5"), ("keras", ".keras")])
def test_export_onto_a_full_disk_keeps_the_old_model(fmt, suffix, tmp_path, capsys):
    with _tmpfs(tmp_path / "full", "160k") as fs:
        old = fs / f"model{suffix}"
        old.write_bytes(b"the model that works" * 100)
        assert main(["export", CNN, "--format", fmt, "--out", str(old)]) == 1  # ~600 KB of weights
        line = _one_error_line(capsys)
        assert "No space left on device" in line and "previous file is unchanged" in line
        assert old.read_bytes() == b"the model that works" * 100
        assert sorted(p.name for p in fs.iterdir()) == [old.name]  # no temporary left behind
