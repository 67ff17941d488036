"""The user's CSV and ``.npz`` files as arrays, read through the bounded reader.

Files are read as bytes by :mod:`engine.reader` and parsed from memory, so a FIFO, a
device or an oversized file is refused before parsing starts; ``np.load`` never unpickles.
Every value must be a finite number that fits float32 (what the model trains on): a NaN,
an infinity or ``1e400`` is refused with where it is, never imputed, since training on
it silently yields NaN weights.
"""
from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable
from pathlib import Path

import numpy as np

from engine import reader
from engine.errors import DataError

MAX_CSV_BYTES = 256 * 1024 * 1024
MAX_NPZ_BYTES = 1024 * 1024 * 1024
MAX_NPZ_UNPACKED = 4 * 1024 * 1024 * 1024  # a tiny archive can declare gigabytes (a zip bomb)
F32_MAX = float(np.finfo("float32").max)
NOT_FINITE = ("is not a finite number that fits float32 (NaN, infinity or beyond ±3.4e38); "
              "fix or remove {what}: Sprout does not fill in missing values")


def csv_table(path: Path, label: str):
    """Load a CSV with a header row and a label column.

    Returns:
        ``(x, y, class names, "table")``; class names are empty for a numeric target (regression).

    Raises:
        DataError: one line naming the file, and the row and column where that applies.
    """
    raw = reader.read_bytes(path, MAX_CSV_BYTES, "CSV file", DataError)
    try:
        rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not UTF-8 text (byte {exc.start}); save the CSV as UTF-8") from None
    except csv.Error as exc:
        raise DataError(f"{path}: cannot read as CSV ({exc})") from None
    if len(rows) < 2:
        raise DataError(f"{path}: needs a header row and at least one data row")
    header = [h.strip() for h in rows[0]]
    if label not in header:
        raise DataError(f"{path}: no label column {label!r}; the columns are {header}. "
                        "Name the label column with data.label (CLI: --label).")
    li = header.index(label)
    feats, labels, line_of = [], [], []
    for r, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise DataError(f"{path}: row {r} has {len(row)} values, the header has {len(header)}")
        values = []
        for c, cell in enumerate(row):
            if c == li:
                continue
            try:
                v = float(cell)
            except ValueError:
                raise DataError(f"{path}: row {r}, column {header[c]!r}: {cell!r} is not a number") from None
            if not abs(v) <= F32_MAX:  # also False for NaN
                raise DataError(f"{path}: column {header[c]!r}, row {r}: {cell.strip()!r} "
                                + NOT_FINITE.format(what="that row"))
            values.append(v)
        feats.append(values)
        labels.append(row[li].strip())
        line_of.append(r)
    y, classes = labels_of(labels, lambda i: f"{path}: label column {label!r}, row {line_of[i]}")
    return np.asarray(feats, dtype="float32"), y, classes, "table"


def npz_arrays(path: Path):
    """Load an ``.npz`` holding ``x`` (samples, ...) and ``y`` (samples,).

    Returns:
        ``(x, y, class names, kind)``; kind is "image" for 4-D, "sequence" for 3-D ``x``.

    Raises:
        DataError: one line naming the file and what is wrong with it.
    """
    raw = reader.read_bytes(path, MAX_NPZ_BYTES, ".npz file", DataError)
    try:
        archive = np.load(io.BytesIO(raw), allow_pickle=False)
        if not isinstance(archive, np.lib.npyio.NpzFile):
            raise DataError(f"{path}: holds a single array, not an .npz archive with arrays 'x' and 'y'; "
                            "save with np.savez(path, x=..., y=...)")
        with archive:
            missing = {"x", "y"} - set(archive.files)
            if missing:
                raise DataError(f"{path}: an .npz needs arrays 'x' and 'y'; missing {sorted(missing)}, "
                                f"found {sorted(archive.files)}")
            unpacked = sum(i.file_size for i in archive.zip.infolist() if i.filename in ("x.npy", "y.npy"))
            if unpacked > MAX_NPZ_UNPACKED:
                raise DataError(f"{path}: refused: x and y unpack to {unpacked} bytes, more than the "
                                f"{MAX_NPZ_UNPACKED} Sprout loads")
            x, y = archive["x"], archive["y"]
    except DataError:
        raise
    except ValueError as exc:
        if "pickle" not in str(exc):
            raise DataError(f"{path}: not a readable .npz archive ({exc})") from None
        raise DataError(f"{path}: refused: the file holds Python objects, which could run code "
                        f"({exc})") from None
    except Exception as exc:  # noqa: BLE001 - zipfile/IO errors of many kinds for a corrupt file
        raise DataError(f"{path}: not a readable .npz archive ({type(exc).__name__}: {exc})") from None
    _check_shapes(path, x, y)
    if x.dtype.kind == "f":
        bad = np.argwhere(~(np.abs(x) <= F32_MAX))  # NaN compares False, so it is caught too
        if len(bad):
            at = ", ".join(str(int(i)) for i in bad[0])
            raise DataError(f"{path}: x[{at}] (sample {int(bad[0][0])}) " + NOT_FINITE.format(what="that sample"))
    values = list(y.astype(str)) if y.dtype.kind in "US" else y.tolist()
    labels, classes = labels_of(values, lambda i: f"{path}: y[{i}]")
    kind = "image" if x.ndim == 4 else "sequence" if x.ndim == 3 else "table"
    return x.astype("float32"), labels, classes, kind


def _check_shapes(path: Path, x: np.ndarray, y: np.ndarray) -> None:
    if x.dtype.kind not in "biuf" or y.dtype.kind not in "biufUS":
        raise DataError(f"{path}: x must be numeric and y numeric or text; found {x.dtype} and {y.dtype}")
    if x.ndim < 2:
        raise DataError(f"{path}: x needs shape (samples, features...), found {x.shape} ({x.ndim}-D)")
    if y.ndim != 1:
        hint = "; for one-hot labels save y.argmax(axis=1)" if y.ndim == 2 else ""
        raise DataError(f"{path}: y needs shape (samples,), one label per sample; found {y.shape}{hint}")
    if len(x) != len(y):
        raise DataError(f"{path}: x has {len(x)} samples but y has {len(y)} labels")


def labels_of(raw: list, where: Callable[[int], str]) -> tuple[np.ndarray, list[str]]:
    """Class indices and names (text, or few whole numbers), else float32 regression targets.

    Args:
        raw: one label per sample, as text or numbers.
        where: the location of label ``i`` for a message ("file: label column 'y', row 7").

    Raises:
        DataError: if a numeric label is NaN, infinite or out of float32 range.
    """
    try:
        vals = [float(v) for v in raw]
    except (ValueError, TypeError, OverflowError):
        uniq = sorted(set(raw))
        index = {v: i for i, v in enumerate(uniq)}
        return np.asarray([index[v] for v in raw], dtype="int64"), [str(u) for u in uniq]
    for i, v in enumerate(vals):
        if not math.isfinite(v):
            raise DataError(f"{where(i)}: {raw[i]!r} " + NOT_FINITE.format(what="that label"))
    arr = np.asarray(vals, dtype="float64")
    if np.all(arr == np.round(arr)) and len(np.unique(arr)) <= max(2, len(arr) // 2):
        uniq = sorted(set(int(v) for v in vals))
        index = {v: i for i, v in enumerate(uniq)}
        return np.asarray([index[int(v)] for v in vals], dtype="int64"), [str(u) for u in uniq]
    for i, v in enumerate(vals):
        if abs(v) > F32_MAX:  # a regression target becomes float32
            raise DataError(f"{where(i)}: {raw[i]!r} " + NOT_FINITE.format(what="that label"))
    return arr.astype("float32"), []
