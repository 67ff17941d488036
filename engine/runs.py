"""Training runs kept with a project: folders, records, results and comparisons.

A run lives in a folder next to the project file, ``<stem>.runs/<run id>/``, holding
what ``engine.trainer.train`` writes (model.keras, best.keras, last.keras, history.csv,
summary.json) plus ``graph.sprout`` (the graph as trained), ``run.json`` (its record),
``predictions.npz`` (test labels and predictions) and ``tensorboard/`` event files. The
project's ``runs`` list holds one small record per run; ``folder`` is relative to the
project's folder, or absolute while the project is untitled (then it lives in an app
folder and moves next to the project on its first save, see ``adopt_runs``).
"""
from __future__ import annotations

import csv
import json
import math
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from engine.trainer import Progress, TrainResult

RECORD_FILE = "run.json"
SNAPSHOT_FILE = "graph.sprout"
PREDICTIONS_FILE = "predictions.npz"
TENSORBOARD_DIR = "tensorboard"
MARKERS = (RECORD_FILE, "summary.json", SNAPSHOT_FILE, "history.csv")
MAX_MISCLASSIFIED = 32


# -- folders -----------------------------------------------------------------------
def runs_root(project_path: Path | None, untitled_root: Path) -> Path:
    """Where new runs of a project go: ``<stem>.runs`` beside it, else ``untitled_root``."""
    if project_path is None:
        return Path(untitled_root)
    project_path = Path(project_path)
    return project_path.parent / f"{project_path.stem}.runs"


def new_run_folder(root: Path, existing_ids=()) -> tuple[str, Path]:
    """Create a fresh run folder under ``root``; the id is a timestamp, made unique."""
    root.mkdir(parents=True, exist_ok=True)
    base = time.strftime("%Y%m%d-%H%M%S")
    taken = set(existing_ids)
    for n in range(1, 10_000):
        run_id = base if n == 1 else f"{base}-{n}"
        folder = root / run_id
        if run_id in taken:
            continue
        try:
            folder.mkdir()
        except FileExistsError:
            continue
        return run_id, folder
    raise OSError(f"{root}: cannot create a new run folder")


def folder_of(record: dict, base: Path | None) -> Path:
    """The absolute folder of a run record (relative folders resolve against ``base``)."""
    folder = Path(record.get("folder", ""))
    if folder.is_absolute() or base is None:
        return folder
    return Path(base) / folder


def relative_folder(folder: Path, base: Path | None) -> str:
    """``folder`` as stored in a record: relative to ``base`` when inside it."""
    if base is not None:
        try:
            return Path(folder).resolve().relative_to(Path(base).resolve()).as_posix()
        except ValueError:
            pass
    return str(Path(folder).resolve())


def write_snapshot(folder: Path, project_text: str) -> None:
    """The graph and settings as trained, without the run list (a run never lists runs)."""
    data = json.loads(project_text)
    data["runs"] = []
    (folder / SNAPSHOT_FILE).write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


# -- records -----------------------------------------------------------------------
def make_record(run_id: str, folder: str, result: TrainResult, params: int, macs: int,
                data: dict, training: dict, name: str | None = None) -> dict:
    """The JSON-ready entry of ``project.runs`` for a finished run."""
    return {"id": run_id, "name": name or f"Run {run_id}", "created": time.strftime("%Y-%m-%d %H:%M:%S"),
            "folder": folder, "params": int(params), "macs": int(macs),
            "stop_reason": result.stop_reason, "message": result.message, "epochs_run": result.epochs_run,
            "best_epoch": result.best_epoch, "metrics": _finite(result.metrics),
            "data": dict(data), "training": dict(training)}


def score_of(record: dict) -> float | None:
    """Test accuracy of a run (validation accuracy when there is no test split)."""
    metrics = record.get("metrics") or {}
    for split in ("test", "val"):
        value = (metrics.get(split) or {}).get("accuracy")
        if isinstance(value, (int, float)) and math.isfinite(value):
            return float(value)
    return None


def rename_run(runs: list, run_id: str, name: str) -> list:
    """A copy of ``runs`` with one run renamed (blank names are refused)."""
    name = name.strip()
    if not name:
        return list(runs)
    return [{**r, "name": name} if r.get("id") == run_id else r for r in runs]


def delete_run(runs: list, run_id: str, base: Path | None) -> list:
    """Remove a run's folder (only if it looks like a run folder) and its record."""
    for record in runs:
        if record.get("id") == run_id:
            folder = folder_of(record, base)
            if folder.is_dir() and any((folder / m).exists() for m in MARKERS):
                shutil.rmtree(folder)
    return [r for r in runs if r.get("id") != run_id]


def adopt_runs(runs: list, old_base: Path | None, new_project_path: Path) -> tuple[list, bool]:
    """Make every run reachable from a project saved at ``new_project_path``.

    Runs of an untitled project (absolute folders) move into ``<stem>.runs``; runs that
    belong to another saved copy (Save As elsewhere) are copied there, so both copies
    keep theirs. Returns the new list and whether anything changed.
    """
    new_base = Path(new_project_path).parent
    out, changed = [], False
    for record in runs:
        src = folder_of(record, old_base)
        rel = relative_folder(src, new_base)
        untitled = Path(record.get("folder", "")).is_absolute()  # an app-folder run: always moves in
        if not Path(rel).is_absolute() and not (untitled and src.parent.resolve() != runs_root(
                new_project_path, new_base).resolve()):
            changed |= rel != record.get("folder")
            out.append({**record, "folder": rel})
            continue
        if not src.is_dir():
            out.append(record)  # nothing to bring along; the record still says where it was
            continue
        dst = runs_root(new_project_path, new_base) / str(record.get("id", src.name))
        dst.parent.mkdir(parents=True, exist_ok=True)
        if untitled:
            shutil.move(str(src), str(dst))
        else:
            shutil.copytree(src, dst, dirs_exist_ok=True)
        out.append({**record, "folder": relative_folder(dst, new_base)})
        changed = True
    return out, changed


# -- history and results -----------------------------------------------------------
def read_history(folder: Path) -> list[dict]:
    """Rows of a run's ``history.csv`` as numbers (None where not measured)."""
    path = Path(folder) / "history.csv"
    if not path.is_file():
        return []
    rows = []
    with path.open(newline="", encoding="utf-8") as fh:
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


def write_history_csv(path: Path, history: list[dict]) -> None:
    """Export rows with the trainer's columns (the plot's "Export CSV")."""
    from engine.trainer import write_history

    write_history(Path(path), history)


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
        np.savez_compressed(Path(folder) / PREDICTIONS_FILE, y_true=self.y_true, y_pred=self.y_pred,
                            class_names=np.asarray(self.class_names, dtype=str), split=np.asarray(self.split),
                            mis_x=self.mis_x, mis_index=self.mis_index)


def load_class_results(folder: Path) -> ClassResults | None:
    """A run's saved predictions, or None if it has none (regression, failed run)."""
    path = Path(folder) / PREDICTIONS_FILE
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as f:
            return ClassResults(f["y_true"], f["y_pred"], [str(c) for c in f["class_names"]], str(f["split"]),
                                f["mis_x"], f["mis_index"])
    except (OSError, ValueError, KeyError):
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


# -- TensorBoard -------------------------------------------------------------------
class TensorBoardLog:
    """Epoch scalars as TensorBoard event files (``train/`` and ``validation/``, like Keras's callback).

    ``tf.summary.scalar`` needs the separate ``tensorboard`` package at write time, so
    scalars go through the core ``tf.summary.write`` with the scalar plugin's metadata:
    the files are the same, and ``tensorboard --logdir`` shows them.
    """

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self._writers = None
        self._meta = None

    def epoch(self, row: dict) -> None:
        """Log one history row; called on the training thread after each epoch."""
        import tensorflow as tf
        from tensorflow.core.framework import summary_pb2

        if self._writers is None:
            self._writers = {s: tf.summary.create_file_writer(str(self.folder / s)) for s in ("train", "validation")}
            self._meta = summary_pb2.SummaryMetadata(
                plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name="scalars"),
                data_class=summary_pb2.DATA_CLASS_SCALAR).SerializeToString()
        step = int(row["epoch"])
        values = {"train": {"epoch_loss": row.get("loss"), "epoch_accuracy": row.get("accuracy"),
                            "epoch_learning_rate": row.get("lr")},
                  "validation": {"epoch_loss": row.get("val_loss"), "epoch_accuracy": row.get("val_accuracy")}}
        for split, scalars in values.items():
            with self._writers[split].as_default():
                for tag, value in scalars.items():
                    if isinstance(value, (int, float)):
                        tf.summary.write(tag, tf.constant(float(value), tf.float32), step=step, metadata=self._meta)

    def close(self) -> None:
        """Flush and close the files."""
        for writer in (self._writers or {}).values():
            writer.flush()
            writer.close()
        self._writers = None


# -- one run, start to end ---------------------------------------------------------
@dataclass
class RunOutcome:
    """What a finished run hands back to its caller (plain data, safe across threads)."""

    record: dict
    result: TrainResult
    classes: ClassResults | None = None


def execute_run(project_text: str, registry, project_path: Path | None, run_id: str, folder: Path,
                record_folder: str, on_progress: Callable[[Progress], None] | None = None,
                should_stop: Callable[[], bool] | None = None, name: str | None = None) -> RunOutcome:
    """Train a project snapshot into ``folder`` and describe the run.

    Args:
        project_text: the project as saved text (a snapshot; never the live document).
        project_path: the project's file, for resolving relative data paths.
        record_folder: what the record stores as ``folder``.
        name: the run's display name (default "Run <id>").

    Raises:
        SproutError: bad settings, data or graph (the caller shows the message).
    """
    from engine.analysis import analyze
    from engine.project import parse_project
    from engine.workflow import plan_run, run_training

    project = parse_project(project_text, registry, source="training snapshot")
    project.path = Path(project_path) if project_path else None
    plan = plan_run(project)
    write_snapshot(folder, project_text)
    board = TensorBoardLog(folder / TENSORBOARD_DIR)

    def forward(p: Progress) -> None:
        if p.row is not None:
            board.epoch(p.row)
        if on_progress is not None:
            on_progress(p)

    try:
        compiled, dataset, result = run_training(plan, folder, forward, should_stop)
    finally:
        board.close()
    totals = analyze(project.document).totals()
    classes = None
    if result.metrics:  # a run that never had finite weights has nothing to predict with
        classes = predict_classes(compiled.model, dataset)
        if classes is not None:
            classes.save(folder)
    record = make_record(run_id, record_folder, result, totals.get("params", 0), totals.get("macs", 0),
                         asdict(plan.data_config), asdict(plan.train_config), name)
    (folder / RECORD_FILE).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return RunOutcome(record, result, classes)


def _finite(value):
    """JSON-safe copy: project files refuse NaN/inf."""
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value

