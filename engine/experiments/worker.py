"""One ablation run, in whatever process runs it (a pool worker, a Ray task, or this one).

Every runner gives a run the same number of TensorFlow threads per core it holds
(``payload["threads"]``): one thread's float sums come out the same in any process, so a
run gives the same numbers in the local pool and on Ray.

``run_task(payload) -> row``: trains the run's project text through the training job (the
run folder the studio writes, with its record) and writes the marker ``ablation.json``
last: a folder without one is an interrupted run and is trained again; one with the same
identity is finished and is read back instead (``finished_row``).
"""
from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

MARKER = "ablation.json"
PROGRESS = "progress.json"  # the epoch a run has reached, rewritten after each epoch


def limit_threads(threads: int) -> None:
    """Pool workers share the cores: each TensorFlow gets its share (before it is imported)."""
    n = str(max(1, int(threads)))
    os.environ["TF_NUM_INTRAOP_THREADS"] = n
    os.environ["TF_NUM_INTEROP_THREADS"] = "1"
    os.environ["OMP_NUM_THREADS"] = n
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def running_runs(runs_dir: Path) -> list[dict]:
    """The runs under ``runs_dir`` that have started and not finished: folder name and epoch reached."""
    out = []
    try:
        folders = sorted(p for p in Path(runs_dir).iterdir() if p.is_dir())
    except OSError:
        return out
    for folder in folders:
        if (folder / MARKER).exists():
            continue
        try:
            data = json.loads((folder / PROGRESS).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            data = {}
        if isinstance(data, dict):
            out.append({"folder": folder.name, "epoch": data.get("epoch", 0), "epochs": data.get("epochs")})
    return out


def finished_row(folder: Path, identity: str) -> dict | None:
    try:
        data = json.loads((Path(folder) / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data.get("row") if isinstance(data, dict) and data.get("identity") == identity else None


def run_task(payload: dict) -> dict:
    """Train one (variant, seed); returns its results row (also in the folder's marker)."""
    from engine.build.backend import import_keras_quietly

    if payload.get("threads"):
        limit_threads(payload["threads"])
    import_keras_quietly()
    import tensorflow as tf

    tf.get_logger().setLevel("ERROR")  # a worker builds one model per run: TF's retracing notes are noise
    threads = os.environ.get("TF_NUM_INTRAOP_THREADS")
    if threads:
        try:
            tf.config.threading.set_intra_op_parallelism_threads(int(threads))
            tf.config.threading.set_inter_op_parallelism_threads(1)
        except RuntimeError:
            pass  # already initialised in this process: keep its setting
    from engine.model.project import ProjectSnapshot
    from engine.runs.job import RunOptions, training_job
    from engine.runs.writer import write_json

    folder = Path(payload["folder"])
    if folder.exists():
        shutil.rmtree(folder)  # an interrupted run of ours: its partial files go
    folder.mkdir(parents=True)
    t0 = time.perf_counter()
    snap = ProjectSnapshot(payload["text"], Path(payload["project_path"]) if payload.get("project_path") else None)

    def epoch_done(p) -> None:  # the studio shows each running run's epoch from this file
        if p.stage == "epoch":
            write_json(folder / PROGRESS, {"epoch": p.step, "epochs": p.total,
                                           "val_accuracy": (p.metrics or {}).get("val_accuracy")})

    outcome = training_job(snap, RunOptions(folder.name, folder, str(folder), payload["label"]), epoch_done)
    record = outcome.record
    test = (record.get("metrics") or {}).get("test", {})
    row = {"variant": payload["label"], "variant_index": payload["variant_index"], "seed": payload["seed"],
           "test_accuracy": test.get("accuracy"), "test_loss": test.get("loss"), "params": record["params"],
           "macs": record["macs"], "seconds": round(time.perf_counter() - t0, 3),
           "epochs_run": record["epochs_run"], "stop_reason": record["stop_reason"], "folder": folder.name}
    write_json(folder / MARKER, {"identity": payload["identity"], "row": row})
    return row
