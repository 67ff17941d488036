"""The only writer of run folders: models, history, summary, snapshot and record, each atomic.

``train`` returns a model and a result; whoever ran it (the training job, ``main.py
train --out``) hands them here. Every file goes through :mod:`engine.atomic`, so a crash
or a full disk leaves either the previous file or the complete new one under its name.
"""
from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

from engine import atomic
from engine.build.modelio import save_model
from engine.runs.results import HISTORY_FILE, write_history

RECORD_FILE = "run.json"
SNAPSHOT_FILE = "graph.sprout"
SUMMARY_FILE = "summary.json"


def write_training_files(folder: str | Path, model, result, config, dataset) -> list[Path]:
    """``last.keras``, ``best.keras``, ``model.keras`` (best weights), ``history.csv``, ``summary.json``.

    ``model`` holds the best weights (as ``train`` leaves it); ``result.last_weights``
    gives ``last.keras``. A diverged run (NaN loss) saves no model with NaN weights.
    Returns the files written.
    """
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
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
               "config": asdict(config), "dataset": dataset.describe()}
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
