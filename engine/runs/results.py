"""What a finished run measured: its history, its test predictions, and comparisons of runs."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from engine import atomic, reader
from engine.errors import SproutError

PREDICTIONS_FILE = "predictions.npz"
HISTORY_FILE = "history.csv"
HISTORY_COLUMNS = ("epoch", "loss", "accuracy", "val_loss", "val_accuracy", "lr", "seconds")
MAX_MISCLASSIFIED = 32
HISTORY_LIMIT = 64 * 1024 * 1024  # bytes read at most (the bounded reader counts them)
PREDICTIONS_LIMIT = 512 * 1024 * 1024


def read_history(folder: Path) -> list[dict]:
    """Rows of a run's ``history.csv`` as numbers (None where not measured)."""
    path = Path(folder) / HISTORY_FILE
    if not path.is_file():
        return []
    try:
        text = reader.read_text(path, HISTORY_LIMIT, "history file")
    except SproutError:
        return []  # a run folder someone tampered with shows no curve rather than hanging
    rows = []
    with io.StringIO(text, newline="") as fh:
        for raw in csv.DictReader(fh):
            row = {}
            for key, value in raw.items():
                try:
                    row[key] = None if value in ("", None) else float(value)
                except ValueError:
                    row[key] = None
            if row.get("epoch") is not None:
                row["epoch"] = int(row["epoch"])
                rows.append(row)
    return rows


def write_history(path: Path, history: list[dict]) -> None:
    """``history.csv`` with the columns of HISTORY_COLUMNS (blank where not measured), atomically."""
    buf = io.StringIO(newline="")
    writer = csv.DictWriter(buf, fieldnames=HISTORY_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for row in history:
        writer.writerow({k: ("" if row.get(k) is None else row[k]) for k in HISTORY_COLUMNS})
    atomic.write_text(Path(path), buf.getvalue())


def confusion_matrix(y_true, y_pred, num_classes: int) -> np.ndarray:
    """Counts ``cm[true, predicted]``."""
    cm = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(cm, (np.asarray(y_true, dtype=np.int64), np.asarray(y_pred, dtype=np.int64)), 1)
    return cm


def per_class_accuracy(cm: np.ndarray) -> np.ndarray:
    """Share of each true class predicted correctly (NaN for a class with no samples)."""
    totals = cm.sum(axis=1).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(totals > 0, np.diag(cm) / np.where(totals > 0, totals, 1), np.nan)


def pareto_front(points) -> list[int]:
    """Indices of the (cost, score) points no other point beats; cheapest first.

    A point is dominated when another costs no more and scores no less, and is strictly
    better in one of the two.
    """
    pts = [(float(c), float(s)) for c, s in points]
    front = []
    for i, (c, s) in enumerate(pts):
        dominated = any(c2 <= c and s2 >= s and (c2 < c or s2 > s) for j, (c2, s2) in enumerate(pts) if j != i)
        if not dominated:
            front.append(i)
    return sorted(front, key=lambda i: (pts[i][0], -pts[i][1]))


@dataclass
class ClassResults:
    """Test-split predictions of a classifier, for the confusion matrix and error grid."""

    y_true: np.ndarray
    y_pred: np.ndarray
    class_names: list[str]
    split: str = "test"
    mis_x: np.ndarray = field(default_factory=lambda: np.zeros((0,), dtype="float32"))
    mis_index: np.ndarray = field(default_factory=lambda: np.zeros((0,), dtype=np.int64))

    @property
    def matrix(self) -> np.ndarray:
        """The confusion matrix."""
        return confusion_matrix(self.y_true, self.y_pred, len(self.class_names))

    def save(self, folder: Path) -> None:
        """Write ``predictions.npz`` (plain arrays, read back without pickle)."""
        with atomic.replacing(Path(folder) / PREDICTIONS_FILE) as tmp, tmp.open("wb") as fh:
            np.savez_compressed(fh, y_true=self.y_true, y_pred=self.y_pred,
                            class_names=np.asarray(self.class_names, dtype=str), split=np.asarray(self.split),
                            mis_x=self.mis_x, mis_index=self.mis_index)


def load_class_results(folder: Path) -> ClassResults | None:
    """A run's saved predictions, or None if it has none (regression, failed run)."""
    path = Path(folder) / PREDICTIONS_FILE
    if not path.is_file():
        return None
    try:
        data = io.BytesIO(reader.read_bytes(path, PREDICTIONS_LIMIT, "predictions file"))
        with np.load(data, allow_pickle=False) as f:
            return ClassResults(f["y_true"], f["y_pred"], [str(c) for c in f["class_names"]], str(f["split"]),
                                f["mis_x"], f["mis_index"])
    except (SproutError, OSError, ValueError, KeyError):
        return None


def predict_classes(model, dataset, batch_size: int = 256) -> ClassResults | None:
    """Predict the test split (validation if empty) of a classification dataset."""
    if dataset.task != "classification" or not dataset.class_names:
        return None
    split = "test" if len(dataset.x_test) else "val"
    x, y = getattr(dataset, f"x_{split}"), getattr(dataset, f"y_{split}")
    if not len(x):
        return None
    probs = np.asarray(model.predict(x, batch_size=batch_size, verbose=0))
    pred = (probs.reshape(len(x), -1)[:, 0] > 0.5).astype(np.int64) if probs.shape[-1] == 1 else probs.argmax(-1)
    wrong = np.flatnonzero(pred != y)[:MAX_MISCLASSIFIED]
    mis_x = x[wrong].astype("float32") if dataset.kind == "image" else np.zeros((0,), dtype="float32")
    return ClassResults(np.asarray(y, dtype=np.int64), pred.astype(np.int64), list(dataset.class_names), split,
                        mis_x, wrong.astype(np.int64))


