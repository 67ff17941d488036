"""Datasets: embedded scikit-learn sets and the user's own files, split and normalized.

Nothing downloads. User files are read as data only (``np.load`` with
``allow_pickle=False``), and every problem is a DataError naming the file.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from engine.errors import DataError

EMBEDDED = ("digits", "digits-seq", "iris", "wine", "breast-cancer")
IMAGE_EXTENSIONS = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp"}


@dataclass
class Dataset:
    """Arrays split three ways, plus what the model needs to know about them."""

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    task: str = "classification"  # or "regression"
    class_names: list[str] = field(default_factory=list)
    kind: str = "table"  # "image", "sequence" or "table"

    @property
    def input_shape(self) -> tuple:
        """One sample's shape."""
        return tuple(self.x_train.shape[1:])

    @property
    def num_classes(self) -> int:
        """Number of classes (0 for regression)."""
        return len(self.class_names)

    def describe(self) -> str:
        """One line for humans."""
        return (f"{self.name}: {len(self.x_train)} train / {len(self.x_val)} val / {len(self.x_test)} test, "
                f"sample shape {self.input_shape}, " +
                (f"{self.num_classes} classes" if self.task == "classification" else "regression"))


@dataclass(frozen=True)
class DataConfig:
    """How to load and split: the project's ``data`` section."""

    source: str = "digits"
    val_fraction: float = 0.15
    test_fraction: float = 0.15
    seed: int = 0
    label: str = "label"
    normalize: bool = True

    @classmethod
    def from_dict(cls, d: dict, seed: int | None = None) -> DataConfig:
        """Validate a project's ``data`` section; DataError names the bad key."""
        base = cls()
        src = d.get("source", base.source)
        if not isinstance(src, str) or not src:
            raise DataError(f"data.source must be a dataset name or a path, found {src!r}")
        vals = {}
        for key in ("val_fraction", "test_fraction"):
            v = d.get(key, getattr(base, key))
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v < 0.9:
                raise DataError(f"Expected 0 <= data.{key} < 0.9. Received: {key}={v!r}")
            vals[key] = float(v)
        if vals["val_fraction"] + vals["test_fraction"] >= 0.9:
            raise DataError("data.val_fraction + data.test_fraction must leave at least 10% for training")
        label = d.get("label", base.label)
        if not isinstance(label, str):
            raise DataError(f"data.label must be a column name, found {label!r}")
        normalize = d.get("normalize", True)
        if not isinstance(normalize, bool):
            raise DataError(f"data.normalize must be true or false, found {normalize!r}")
        s = d.get("seed", 0) if seed is None else seed
        if isinstance(s, bool) or not isinstance(s, int):
            raise DataError(f"data.seed must be a whole number, found {s!r}")
        return cls(src, vals["val_fraction"], vals["test_fraction"], s, label, normalize)


def load_dataset(config: DataConfig, base_dir: Path | None = None) -> Dataset:
    """Load, split (seeded, stratified for classes) and normalize a dataset.

    Args:
        config: what to load.
        base_dir: folder that relative paths are resolved against (the project's).

    Raises:
        DataError: naming the dataset or file and what is wrong.
    """
    name = config.source
    if name in EMBEDDED:
        x, y, classes, kind = _embedded(name)
    else:
        path = Path(name).expanduser()
        if not path.is_absolute() and base_dir is not None and not path.exists():
            path = base_dir / path
        if not path.exists():
            raise DataError(f"dataset {name!r}: no such file or folder, and not one of the embedded "
                            f"datasets ({', '.join(EMBEDDED)})")
        if path.is_dir():
            x, y, classes, kind = _image_folder(path)
        elif path.suffix.lower() == ".csv":
            x, y, classes, kind = _csv(path, config.label)
        elif path.suffix.lower() == ".npz":
            x, y, classes, kind = _npz(path)
        else:
            raise DataError(f"{path}: unsupported data file; use an image folder, a .csv or an .npz")
    task = "classification" if classes else "regression"
    ds = _split(name, x, y, config, task, classes, kind)
    if config.normalize:
        _normalize(ds)
    return ds


def _embedded(name: str):
    from sklearn import datasets as skd

    if name in ("digits", "digits-seq"):
        bunch = skd.load_digits()
        x = bunch.images.astype("float32") / 16.0
        x = x[..., None] if name == "digits" else x
        return x, bunch.target.astype("int64"), [str(c) for c in bunch.target_names], (
            "image" if name == "digits" else "sequence")
    loader = {"iris": skd.load_iris, "wine": skd.load_wine, "breast-cancer": skd.load_breast_cancer}[name]
    bunch = loader()
    return bunch.data.astype("float32"), bunch.target.astype("int64"), [str(c) for c in bunch.target_names], "table"


def _image_folder(path: Path):
    from PIL import Image, UnidentifiedImageError

    classes = sorted(p.name for p in path.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not classes:
        raise DataError(f"{path}: an image folder needs one sub-folder per class; found none")
    images, labels, size, mode, first = [], [], None, None, None
    files = [(ci, f) for ci, c in enumerate(classes) for f in sorted((path / c).iterdir())
             if f.suffix.lower() in IMAGE_EXTENSIONS]
    if not files:
        raise DataError(f"{path}: no image files ({', '.join(sorted(IMAGE_EXTENSIONS))}) in the class folders")
    modes = set()
    opened = []
    for ci, f in files:
        try:
            with Image.open(f) as im:
                im.load()
                opened.append((ci, f, im.copy()))
                modes.add(im.mode)
        except (UnidentifiedImageError, OSError) as exc:
            raise DataError(f"{f}: not a readable image ({exc})") from None
    mode = "L" if modes <= {"L", "1", "P"} and all(im.mode != "P" or _grey_palette(im) for _, _, im in opened) else "RGB"
    for ci, f, im in opened:
        if size is None:
            size, first = im.size, f
        elif im.size != size:
            raise DataError(f"{f}: image size {im.size[0]}x{im.size[1]} differs from {size[0]}x{size[1]} "
                            f"of {first}; resize the images to one size")
        arr = np.asarray(im.convert(mode), dtype="float32") / 255.0
        images.append(arr[..., None] if mode == "L" else arr)
        labels.append(ci)
    return np.stack(images), np.asarray(labels, dtype="int64"), classes, "image"


def _grey_palette(im) -> bool:
    return im.convert("RGB").getextrema() == im.convert("L").convert("RGB").getextrema()


def _csv(path: Path, label: str):
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            rows = list(csv.reader(fh))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise DataError(f"{path}: cannot read as CSV ({exc})") from None
    if len(rows) < 2:
        raise DataError(f"{path}: needs a header row and at least one data row")
    header = [h.strip() for h in rows[0]]
    if label not in header:
        raise DataError(f"{path}: no label column {label!r}; the columns are {header}. "
                        "Name the label column with data.label (CLI: --label).")
    li = header.index(label)
    feats, labels = [], []
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
                values.append(float(cell))
            except ValueError:
                raise DataError(f"{path}: row {r}, column {header[c]!r}: {cell!r} is not a number") from None
        feats.append(values)
        labels.append(row[li].strip())
    x = np.asarray(feats, dtype="float32")
    y, classes = _labels(labels)
    return x, y, classes, "table"


def _labels(raw):
    try:
        vals = np.asarray([float(v) for v in raw])
        if np.all(vals == np.round(vals)) and len(np.unique(vals)) <= max(2, len(vals) // 2):
            uniq = sorted(set(int(v) for v in vals))
            index = {v: i for i, v in enumerate(uniq)}
            return np.asarray([index[int(v)] for v in vals], dtype="int64"), [str(u) for u in uniq]
        return vals.astype("float32"), []
    except ValueError:
        uniq = sorted(set(raw))
        index = {v: i for i, v in enumerate(uniq)}
        return np.asarray([index[v] for v in raw], dtype="int64"), uniq


def _npz(path: Path):
    try:
        with np.load(path, allow_pickle=False) as archive:
            missing = {"x", "y"} - set(archive.files)
            if missing:
                raise DataError(f"{path}: an .npz needs arrays 'x' and 'y'; missing {sorted(missing)}, "
                                f"found {sorted(archive.files)}")
            x, y = archive["x"], archive["y"]
    except DataError:
        raise
    except ValueError as exc:
        raise DataError(f"{path}: refused: the file holds Python objects, which could run code "
                        f"({exc})") from None
    except Exception as exc:  # zipfile/IO errors of many kinds for a corrupt file
        raise DataError(f"{path}: not a readable .npz archive ({type(exc).__name__}: {exc})") from None
    if x.dtype.kind not in "biuf" or y.dtype.kind not in "biufUS":
        raise DataError(f"{path}: x must be numeric and y numeric or text; found {x.dtype} and {y.dtype}")
    if len(x) != len(y) or x.ndim < 2:
        raise DataError(f"{path}: x needs shape (samples, ...) and y (samples,); found {x.shape} and {y.shape}")
    labels, classes = _labels(list(y.astype(str))) if y.dtype.kind in "US" else _labels(list(y.ravel()))
    kind = "image" if x.ndim == 4 else "sequence" if x.ndim == 3 else "table"
    return x.astype("float32"), labels, classes, kind


def _split(name, x, y, cfg: DataConfig, task, classes, kind) -> Dataset:
    from sklearn.model_selection import train_test_split

    n = len(x)
    if n < 10:
        raise DataError(f"dataset {name!r}: {n} samples are too few to split into train/val/test")
    strat = y if task == "classification" and np.min(np.bincount(y)) >= 3 else None
    idx = np.arange(n)
    holdout = cfg.val_fraction + cfg.test_fraction
    if holdout > 0:
        train, rest = train_test_split(idx, test_size=holdout, random_state=cfg.seed, stratify=strat)
    else:
        train, rest = idx, idx[:0]
    if cfg.test_fraction and len(rest):
        strat_rest = y[rest] if strat is not None and np.min(np.bincount(y[rest])) >= 2 else None
        val, test = train_test_split(rest, test_size=cfg.test_fraction / holdout, random_state=cfg.seed,
                                     stratify=strat_rest)
    else:
        val, test = rest, rest[:0]
    return Dataset(name, x[train], y[train], x[val], y[val], x[test], y[test], task, list(classes), kind)


def _normalize(ds: Dataset) -> None:
    """Tables: standardize with training statistics. Images are already in [0, 1]."""
    if ds.kind != "table":
        return
    mean = ds.x_train.mean(axis=0)
    std = ds.x_train.std(axis=0)
    std[std == 0] = 1.0
    for attr in ("x_train", "x_val", "x_test"):
        setattr(ds, attr, ((getattr(ds, attr) - mean) / std).astype("float32"))
