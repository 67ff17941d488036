"""Hostile data files (issue 9, items 5-7): one DataError line each, never a hang or traceback."""
from __future__ import annotations

import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from engine.data import images, tables
from engine.data.datasets import DataConfig, load_dataset
from engine.errors import DataError
from tests.engine.data.hostile import needs_dev_zero, needs_fifo, needs_proc, one_line, raises_within


def _load(path, **kw):
    return load_dataset(DataConfig(str(path), **kw))


def _refused(path, **kw) -> str:
    with pytest.raises(Exception) as info:  # noqa: PT011 - the class is checked by one_line
        _load(path, **kw)
    return one_line(info.value, DataError)


def _csv(tmp_path, rows, header="a,b,label"):
    path = tmp_path / "d.csv"
    path.write_text("\n".join([header, *rows]) + "\n")
    return path


def _good_rows(n=20):
    return [f"{i},{i % 3},{i % 2}" for i in range(n)]


# -- item 5: non-regular and oversized files ------------------------------------------------

@needs_fifo
@pytest.mark.parametrize("name", ["x.csv", "x.npz"])
def test_fifo_as_data_file_is_refused_within_a_second(tmp_path, name):
    import os
    fifo = tmp_path / name
    os.mkfifo(fifo)
    exc = raises_within(1.0, lambda: _load(fifo), fifo)
    assert "is a FIFO (named pipe), not a regular file" in one_line(exc, DataError)


@needs_fifo
def test_fifo_in_an_image_folder_is_refused_within_a_second(tmp_path):
    import os
    (tmp_path / "cat").mkdir()
    Image.new("L", (4, 4)).save(tmp_path / "cat" / "a.png")
    os.mkfifo(tmp_path / "cat" / "b.png")
    exc = raises_within(1.0, lambda: _load(tmp_path), tmp_path / "cat" / "b.png")
    assert "b.png: is a FIFO" in one_line(exc, DataError)


@needs_dev_zero
def test_csv_symlink_to_dev_zero_is_refused(tmp_path):
    link = tmp_path / "x.csv"
    link.symlink_to("/dev/zero")
    exc = raises_within(2.0, lambda: _load(link))
    assert "x.csv: is a character device, not a regular file" in one_line(exc, DataError)


@needs_proc
def test_oversized_csv_is_refused_by_bytes_read(tmp_path, monkeypatch):
    """A /proc file has st_size 0: only counting the bytes read catches it."""
    monkeypatch.setattr(tables, "MAX_CSV_BYTES", 100, raising=False)
    link = tmp_path / "status.csv"
    link.symlink_to("/proc/self/status")
    assert "status.csv: the CSV file is larger than 100 bytes" in _refused(link)


def test_oversized_npz_is_refused(tmp_path, monkeypatch):
    path = tmp_path / "d.npz"
    np.savez(path, x=np.zeros((30, 3)), y=np.arange(30) % 2)
    monkeypatch.setattr(tables, "MAX_NPZ_BYTES", 100, raising=False)
    assert "the .npz file is larger than 100 bytes" in _refused(path)


# -- item 6: numbers out of range, bad shapes, decompression bombs ---------------------------

@pytest.mark.parametrize("bad", ["inf", "1e400", "-inf", "nan"])
def test_non_finite_csv_label_is_refused_with_its_row(tmp_path, bad):
    rows = _good_rows()
    rows[4] = f"4,1,{bad}"
    msg = _refused(_csv(tmp_path, rows))
    assert f"label column 'label', row 6: '{bad}' is not a finite number" in msg


def test_regression_target_beyond_float32_is_refused(tmp_path):
    rows = [f"{i},{i},{i * 0.37}" for i in range(20)]
    rows[2] = "2,2,1e39"
    assert "row 4: '1e39' is not a finite number" in _refused(_csv(tmp_path, rows))


@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan])
def test_non_finite_npz_label_is_refused(tmp_path, bad):
    y = (np.arange(30) % 2).astype("float64")
    y[7] = bad
    path = tmp_path / "d.npz"
    np.savez(path, x=np.zeros((30, 3)), y=y)
    assert "d.npz: y[7]:" in _refused(path)


@pytest.mark.parametrize("x, y, message", [
    (np.float32(3.0), np.arange(30), r"x needs shape \(samples, features...\), found \(\) \(0-D\)"),
    (np.zeros(30), np.arange(30), r"x needs shape .* found \(30,\) \(1-D\)"),
    (np.zeros((30, 3)), np.eye(3)[np.arange(30) % 3], r"y needs shape \(samples,\).*\(30, 3\); for one-hot"),
    (np.zeros((30, 3)), np.zeros((30, 1)), r"y needs shape \(samples,\).*found \(30, 1\)"),
    (np.zeros((30, 3)), np.int64(1), r"y needs shape \(samples,\)"),
    (np.zeros((30, 3)), np.arange(29), r"x has 30 samples but y has 29 labels"),
])
def test_npz_shapes_are_checked(tmp_path, x, y, message):
    path = tmp_path / "d.npz"
    np.savez(path, x=x, y=y)
    with pytest.raises(DataError, match=message):
        _load(path)


def test_npz_holding_one_array_is_refused(tmp_path):
    path = tmp_path / "d.npz"
    np.save(tmp_path / "d.npy", np.zeros(3))
    path.write_bytes((tmp_path / "d.npy").read_bytes())
    assert "holds a single array, not an .npz archive" in _refused(path)


def _png_header(width: int, height: int) -> bytes:
    """A PNG that claims ``width`` x ``height`` pixels in a few dozen bytes (a bomb's header)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")


def _folder(root, extra_name=None, extra=b""):
    """Two classes of five 6x6 images, plus one extra file in class ``b``."""
    for cls in ("a", "b"):
        (root / cls).mkdir(parents=True)
        for i in range(5):
            Image.new("L", (6, 6), 30 * i).save(root / cls / f"{i}.png")
    if extra_name:
        (root / "b" / extra_name).write_bytes(extra)
    return root


def test_decompression_bomb_png_is_refused(tmp_path):
    folder = _folder(tmp_path, "bomb.png", _png_header(100_000, 100_000))
    assert "bomb.png: refused as a possible decompression bomb" in _refused(folder)


def test_image_beyond_sprouts_pixel_limit_is_refused_before_decoding(tmp_path, monkeypatch):
    monkeypatch.setattr(images, "MAX_IMAGE_PIXELS", 1000, raising=False)
    big = tmp_path / "big.png"
    Image.new("L", (40, 40)).save(big)
    folder = _folder(tmp_path / "set", "big.png", big.read_bytes())
    assert "big.png: refused: the image claims 40x40 pixels" in _refused(folder)


def test_pillow_bomb_warning_is_a_refusal(tmp_path, monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 30)  # 6x6 = 36 pixels: Pillow only warns
    assert "refused as a possible decompression bomb" in _refused(_folder(tmp_path))


# -- item 7: NaN / inf features are refused with column and first row ------------------------

@pytest.mark.parametrize("bad", ["nan", "NaN", "inf", "-Infinity", "1e400", "1e39"])
def test_non_finite_csv_feature_names_column_and_first_row(tmp_path, bad):
    rows = _good_rows()
    rows[6] = f"6,{bad},0"
    rows[9] = f"9,{bad},1"  # a later one: the message names the first
    msg = _refused(_csv(tmp_path, rows))
    assert f"column 'b', row 8: '{bad}' is not a finite number" in msg
    assert "fix or remove that row" in msg and "does not fill in missing values" in msg


def test_non_finite_npz_feature_names_sample(tmp_path):
    x = np.random.default_rng(0).random((30, 4))
    x[11, 2] = np.nan
    x[20, 0] = np.inf
    path = tmp_path / "d.npz"
    np.savez(path, x=x, y=np.arange(30) % 2)
    assert "d.npz: x[11, 2] (sample 11) is not a finite number" in _refused(path)


def test_float64_npz_beyond_float32_is_refused(tmp_path):
    x = np.ones((30, 2, 2))
    x[3, 1, 0] = 1e300
    path = tmp_path / "d.npz"
    np.savez(path, x=x, y=np.arange(30) % 2)
    assert "x[3, 1, 0] (sample 3)" in _refused(path)


def test_good_files_still_load(tmp_path):
    ds = _load(_csv(tmp_path, _good_rows()))
    assert ds.input_shape == (2,) and ds.class_names == ["0", "1"]
    assert np.isfinite(ds.x_train).all()
