"""Datasets: embedded scikit-learn sets and the user's own files, split and normalized.

Nothing downloads. User files are read through the bounded reader (engine/reader.py) as
data only (:mod:`engine.data.tables`, :mod:`engine.data.images`), and every problem is a
DataError naming the file.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from engine.data.config import EMBEDDED, DataConfig
from engine.data.images import IMAGE_EXTENSIONS, image_folder
from engine.data.preprocess import Preprocessing, divide_by, standardize
from engine.data.tables import csv_table, npz_arrays
from engine.errors import DataError

__all__ = ["EMBEDDED", "IMAGE_EXTENSIONS", "DataConfig", "Dataset", "load_dataset"]


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
    preprocessing: Preprocessing | None = None  # raw input -> the arrays above (None: used as read)

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


def load_dataset(config: DataConfig, base_dir: Path | None = None) -> Dataset:
    """Load, split (seeded, stratified for classes) and normalize a dataset.

    Args:
        config: what to load.
        base_dir: folder that relative paths are resolved against (the project's).

    Raises:
        DataError: naming the dataset or file and what is wrong.
    """
    name = config.source
    scaling = None
    if name in EMBEDDED:
        x, y, classes, kind = _embedded(name)
        if kind != "table":
            scaling = divide_by(16.0, "pixel values (0 to 16, scikit-learn's digits)")
    else:
        path = _resolve(name, base_dir)
        if path.is_dir():
            x, y, classes, kind = image_folder(path)
            scaling = divide_by(255.0, "pixel values (0 to 255)")
        elif path.suffix.lower() == ".csv":
            x, y, classes, kind = csv_table(path, config.label)
        elif path.suffix.lower() == ".npz":
            x, y, classes, kind = npz_arrays(path)
        else:
            raise DataError(f"{path}: unsupported data file; use an image folder, a .csv or an .npz")
    task = "classification" if classes else "regression"
    ds = _split(name, x, y, config, task, classes, kind)
    ds.preprocessing = scaling
    if config.normalize and kind == "table":
        _standardize(ds)
    return ds


def _resolve(name: str, base_dir: Path | None) -> Path:
    """The path ``name`` stands for: as given, else relative to the project's folder."""
    try:
        path = Path(name).expanduser()
        if not path.is_absolute() and base_dir is not None and not path.exists():
            path = base_dir / path
        found = path.exists()
    except (OSError, RuntimeError, ValueError):  # no home for "~user", a NUL byte, an unencodable name
        found = False
    if not found:
        raise DataError(f"dataset {name!r}: no such file or folder, and not one of the embedded "
                        f"datasets ({', '.join(EMBEDDED)})")
    return path


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


def _standardize(ds: Dataset) -> None:
    """Tables: standardize with training statistics (images are scaled as they are read)."""
    ds.preprocessing = standardize(ds.x_train)
    for attr in ("x_train", "x_val", "x_test"):
        setattr(ds, attr, ds.preprocessing.apply(getattr(ds, attr)))
