"""Training runs kept with a project: folders, records, results and comparisons.

A run lives in a folder next to the project file, ``<stem>.runs/<run id>/``, holding
what ``engine.train.trainer.train`` writes (model.keras, best.keras, last.keras, history.csv,
summary.json) plus ``graph.sprout`` (the graph as trained), ``run.json`` (its record),
``predictions.npz`` (test labels and predictions) and ``tensorboard/`` event files. The
project's ``runs`` list holds one small record per run; ``folder`` is relative to the
project's folder, or absolute while the project is untitled (then it lives in an app
folder and moves next to the project on its first save, see ``adopt_runs``). A record
is data from a file: ``folder_of`` only ever resolves it to a run folder of Sprout's own.
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


def is_run_id(value) -> bool:
    """True for a plain folder name: no separators, not ``.``/``..``, not hidden, at most 120 characters."""
    return (isinstance(value, str) and 0 < len(value) <= 120 and value not in (".", "..")
            and not value.startswith(".") and not any(ch in value for ch in "/\\\0:")
            and Path(value).name == value)


def folder_of(record: dict, project_path: Path | None, untitled_root: Path | None) -> Path | None:
    """The folder of a run record, or None when the record does not point at a run folder of ours.

    Ours means ``<id>`` directly inside a ``*.runs`` folder beside the project file (its
    own ``<stem>.runs``, or one it had before being renamed) or inside ``untitled_root``
    (runs of an untitled project), with a valid id. Anything else (an absolute folder
    elsewhere, ``..`` in the id or the folder) is shown as missing and never touched:
    a project file is data and must not steer Sprout to move or delete other folders.
    """
    run_id = record.get("id")
    stored = record.get("folder")
    if not is_run_id(run_id) or not isinstance(stored, str) or not stored or "\0" in stored:
        return None
    folder = Path(stored)
    if not folder.is_absolute():
        if project_path is None:
            return None
        folder = Path(project_path).parent / folder
    try:
        folder = Path(folder.resolve(strict=False))
    except (OSError, RuntimeError):
        return None
    if folder.name != run_id:
        return None
    parent = folder.parent
    if project_path is not None and parent.name.endswith(".runs") \
            and parent.parent == Path(project_path).parent.resolve():
        return folder
    if untitled_root is not None and parent == Path(untitled_root).resolve():
        return folder
    return None


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
            "data": dict(data), "training": dict(training), "execution": result.execution and result.execution.to_json()}


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


def delete_run(runs: list, run_id: str, project_path: Path | None, untitled_root: Path | None) -> list:
    """Remove a run's record, and its folder when it is ours (see ``folder_of``) and looks like a run."""
    for record in runs:
        if record.get("id") == run_id:
            folder = folder_of(record, project_path, untitled_root)
            if folder is not None and folder.is_dir() and not folder.is_symlink() \
                    and any((folder / m).exists() for m in MARKERS):
                shutil.rmtree(folder)
    return [r for r in runs if r.get("id") != run_id]


def adopt_runs(runs: list, old_project_path: Path | None, new_project_path: Path,
               untitled_root: Path | None) -> tuple[list, bool]:
    """After a save under a new name: make the project's own runs reachable from ``new_project_path``.

    Only runs that are ours (``folder_of`` with the old path) are brought along: runs of
    an untitled project move out of ``untitled_root`` into ``<stem>.runs``; runs of
    another saved copy (Save As elsewhere) are copied there, so both copies keep theirs.
    Every other record is kept as it is (shown as missing). Call it only after a save,
    never on open: opening a project has no effect on disk. Returns the new list and
    whether anything changed.
    """
    new_base = Path(new_project_path).parent
    root = runs_root(new_project_path, new_base)
    out, changed = [], False
    for record in runs:
        src = folder_of(record, old_project_path, untitled_root)
        if src is None or not src.is_dir():
            out.append(record)  # not ours, or nothing to bring along: the record stays as it was
            continue
        dst = (root / record["id"]).resolve(strict=False)
        if src != dst:
            dst.parent.mkdir(parents=True, exist_ok=True)
            if untitled_root is not None and src.parent == Path(untitled_root).resolve():
                shutil.move(str(src), str(dst))
            else:
                shutil.copytree(src, dst, dirs_exist_ok=True, symlinks=True)
        rel = relative_folder(dst, new_base)
        changed |= rel != record.get("folder")
        out.append({**record, "folder": rel})
    return out, changed


def _finite(value):
    """JSON-safe copy: project files refuse NaN/inf."""
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value

