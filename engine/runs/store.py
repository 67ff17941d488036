"""Training runs kept with a project: folders, records, results and comparisons.

A run lives in a folder next to the project file, ``<stem>.runs/<run id>/``, holding
what ``engine.train.trainer.train`` writes (model.keras, best.keras, last.keras, history.csv,
summary.json) plus ``graph.sprout`` (the graph as trained), ``run.json`` (its record),
``predictions.npz`` (test labels and predictions) and ``tensorboard/`` event files. The
project's ``runs`` list holds one small record per run; ``folder`` is relative to the
project's folder, or absolute while the project is untitled (then it lives in an app
folder and moves next to the project on its first save, see ``adopt_runs``).
"""
from __future__ import annotations

import math
import shutil
import time
from pathlib import Path

from engine.runs.results import HISTORY_FILE
from engine.runs.writer import RECORD_FILE, SNAPSHOT_FILE, SUMMARY_FILE
from engine.train.trainer import TrainResult

TENSORBOARD_DIR = "tensorboard"
MARKERS = (RECORD_FILE, SUMMARY_FILE, SNAPSHOT_FILE, HISTORY_FILE)  # what makes a folder a run folder


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


def _finite(value):
    """JSON-safe copy: project files refuse NaN/inf."""
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value

