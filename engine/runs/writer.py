"""The only writer of run folders: models, history, summary, snapshot and record, each atomic.

``train`` returns a model and a result; whoever ran it (the training job, ``main.py
train --out``) hands them here. Every file goes through :mod:`engine.atomic`, so a crash
or a full disk leaves either the previous file or the complete new one under its name.
"""
from __future__ import annotations

import json
import os
from dataclasses import asdict
from pathlib import Path

from engine import atomic
from engine.build.modelio import ModelFileError, save_model
from engine.errors import RunFolderError
from engine.runs.results import HISTORY_FILE, write_history

RECORD_FILE = "run.json"
SNAPSHOT_FILE = "graph.sprout"
SUMMARY_FILE = "summary.json"


def prepare_folder(folder: str | Path) -> Path:
    """Create ``folder`` (and its parents) for run files, or say in one line why it cannot be.

    Called before training, so a bad ``--out`` costs no training time.

    Raises:
        RunFolderError: the path is a file, lies under a file, or cannot be created or written.
    """
    out = Path(folder)
    if out.exists() and not out.is_dir():
        raise RunFolderError(f"{out}: is a file, not a folder; choose a folder for the run files")
    blocking = atomic.file_in_the_way(out)
    if blocking is not None:
        raise RunFolderError(f"{out}: {blocking} is a file, not a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RunFolderError(f"{out}: cannot create the folder ({exc.strerror or exc})") from None
    if not os.access(out, os.W_OK):
        raise RunFolderError(f"{out}: the folder is not writable")
    return out


def write_training_files(folder: str | Path, model, result, config, dataset) -> list[Path]:
    """``last.keras``, ``best.keras``, ``model.keras`` (best weights), ``history.csv``, ``summary.json``.

    ``model`` holds the best weights (as ``train`` leaves it); ``result.last_weights``
    gives ``last.keras``. A diverged run (NaN loss) saves no model with NaN weights.
    Returns the files written.
    """
    out = prepare_folder(folder)
    try:
        return _write_training_files(out, model, result, config, dataset)
    except ModelFileError as exc:
        raise RunFolderError(str(exc)) from None
    except OSError as exc:
        raise RunFolderError(f"{out}: could not write the run files ({exc.strerror or exc}); "
                             "files already there are unchanged") from None


def _write_training_files(out: Path, model, result, config, dataset) -> list[Path]:
    written = []
    if result.last_weights is not None:
        best = model.get_weights()
        model.set_weights(result.last_weights)
        try:
            written.append(save_model(model, out / "last.keras"))
        finally:
            model.set_weights(best)
    if result.best_epoch is not None:
        written.append(save_model(model, out / "best.keras"))
    if result.best_epoch is not None or result.stop_reason != "nan_loss":
        written.append(save_model(model, out / "model.keras"))
    write_history(out / HISTORY_FILE, result.history)
    summary = {"stop_reason": result.stop_reason, "message": result.message,
               "epochs_run": result.epochs_run, "best_epoch": result.best_epoch,
               "params": int(model.count_params()), "metrics": result.metrics,
               "config": asdict(config), "dataset": dataset.describe(),
               "execution": result.execution and result.execution.to_json()}  # the block length and XLA the run used, and why
    write_json(out / SUMMARY_FILE, summary)
    return [*written, out / HISTORY_FILE, out / SUMMARY_FILE]


def write_json(path: Path, data) -> None:
    """A JSON file, indented, atomically."""
    atomic.write_text(path, json.dumps(data, indent=2) + "\n")


def write_record(folder: Path, record: dict) -> None:
    """The run's ``run.json``."""
    write_json(Path(folder) / RECORD_FILE, record)


def write_snapshot(folder: Path, project_text: str) -> None:
    """The graph and settings as trained, without the run list (a run never lists runs)."""
    data = json.loads(project_text)
    data["runs"] = []
    atomic.write_text(Path(folder) / SNAPSHOT_FILE, json.dumps(data, indent=2, ensure_ascii=False) + "\n")
