"""Run folders and records, pause/resume/stop control, results and comparisons."""
from __future__ import annotations

import json
import threading

import numpy as np
import pytest

from engine.jobs import JobControl
from engine.model.project import ProjectSnapshot, dumps, load_project
from engine.runs import results as run_results
from engine.runs import store as runs
from engine.runs.job import RunOptions, training_job
from tests.conftest import EXAMPLES


def _snapshot(registry, epochs=2, batch_size=64, **data):
    project = load_project(EXAMPLES / "digits_mlp.sprout", registry)
    project.training = {**project.training, "epochs": epochs, "batch_size": batch_size}
    project.data = {**project.data, **data}
    return dumps(project)


def _run(registry, tmp_path, text, on_progress=None, control=None):
    run_id, folder = runs.new_run_folder(tmp_path / "p.runs")
    return training_job(ProjectSnapshot(text, tmp_path / "p.sprout"),
                        RunOptions(run_id, folder, f"p.runs/{run_id}", registry=registry), on_progress, control), folder


# -- a whole run ---------------------------------------------------------------------
def test_training_job_writes_a_complete_run_folder(registry, tmp_path):
    outcome, folder = _run(registry, tmp_path, _snapshot(registry))
    for name in ("model.keras", "best.keras", "last.keras", "history.csv", "summary.json", "graph.sprout",
                 "run.json", "predictions.npz"):
        assert (folder / name).is_file(), name
    rec = outcome.record
    assert rec["folder"] == f"p.runs/{folder.name}" and rec["stop_reason"] == "completed"
    assert rec["params"] == 64 * 64 + 64 + 64 * 10 + 10 and rec["macs"] > 0
    assert json.loads((folder / "run.json").read_text()) == rec
    assert json.loads((folder / "graph.sprout").read_text())["runs"] == []
    history = run_results.read_history(folder)
    assert [r["epoch"] for r in history] == [1, 2]
    assert history[1]["val_loss"] == pytest.approx(outcome.result.history[1]["val_loss"], rel=1e-6)
    # The confusion matrix is the test accuracy Keras measured, seen per class.
    classes = run_results.load_class_results(folder)
    cm = classes.matrix
    assert cm.shape == (10, 10) and cm.sum() == len(classes.y_true)
    assert np.trace(cm) / cm.sum() == pytest.approx(rec["metrics"]["test"]["accuracy"], abs=1e-6)
    assert runs.score_of(rec) == rec["metrics"]["test"]["accuracy"]
    wrong = int((classes.y_true != classes.y_pred).sum())
    assert len(classes.mis_index) == len(classes.mis_x) == min(wrong, run_results.MAX_MISCLASSIFIED)
    # TensorBoard can read the run.
    import tensorflow as tf

    tags = set()
    for sub in ("train", "validation"):
        files = list((folder / "tensorboard" / sub).glob("events.out.tfevents.*"))
        assert files, sub
        for event in tf.compat.v1.train.summary_iterator(str(files[0])):
            tags.update(f"{sub}/{v.tag}" for v in event.summary.value)
    assert {"train/epoch_loss", "train/epoch_accuracy", "validation/epoch_loss"} <= tags


def test_pause_and_resume_continue_from_the_same_step(registry, tmp_path):
    control = JobControl(poll_s=0.01)
    seen = []

    def progress(p):
        if p.stage == "train":
            seen.append((p.metrics["epoch"], p.metrics["batch"]))
            if len(seen) == 5:
                control.pause()
                threading.Timer(0.4, control.resume).start()

    outcome, _ = _run(registry, tmp_path, _snapshot(registry), progress, control)
    batches = -(-int(len(_digits_train())) // 64)
    steps = [e * batches + b for e, b in seen]  # one report per execution block
    assert steps == sorted(set(steps)) and steps[-1] == 2 * batches - 1  # none repeated, none lost
    assert seen[5][0] == 0 and 4 < steps[5] < 4 + 33  # resumed with the next block
    assert control.polls == len(seen) and control.paused_seconds() >= 0.3
    assert outcome.result.stop_reason == "completed"


def _digits_train():
    from engine.data.datasets import DataConfig, load_dataset

    return load_dataset(DataConfig("digits")).x_train


def test_stop_keeps_usable_current_and_best_weights(registry, tmp_path):
    import keras

    control = JobControl()

    def progress(p):
        if p.stage == "train" and (p.metrics["epoch"], p.metrics["batch"]) == (1, 3):
            control.stop()

    outcome, folder = _run(registry, tmp_path, _snapshot(registry, epochs=5), progress, control)
    assert outcome.result.stop_reason == "stopped" and outcome.record["epochs_run"] <= 2
    x = _digits_train()[:8].reshape(8, 64)
    for name in ("last.keras", "best.keras"):
        probs = keras.models.load_model(folder / name).predict(x, verbose=0)
        assert np.all(np.isfinite(probs)) and np.allclose(probs.sum(-1), 1, atol=1e-4)


def nan_project_text(registry, folder) -> str:
    """A regression model with SGD at learning rate 100: the loss overflows within an epoch."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 8)).astype("float32")
    np.savez(folder / "reg.npz", x=x, y=(x @ rng.normal(size=8)).astype("float32"))
    project = load_project(EXAMPLES / "digits_mlp.sprout", registry)
    project.document.set_params("n1", {"shape": [8]})
    project.document.set_params("n4", {"units": 1, "activation": "linear"})
    project.training = {"epochs": 3, "batch_size": 64, "optimizer": "sgd", "learning_rate": 100.0}
    project.data = {"source": "reg.npz"}
    return dumps(project)


def test_diverging_run_ends_with_a_reason(registry, tmp_path):
    outcome, folder = _run(registry, tmp_path, nan_project_text(registry, tmp_path))
    assert outcome.result.stop_reason == "nan_loss"
    assert "Loss became" in outcome.record["message"] and outcome.classes is None
    json.dumps(outcome.record, allow_nan=False)  # storable in the project file
    assert (folder / "run.json").is_file() and run_results.read_history(folder) == []


# -- records and folders -------------------------------------------------------------
def _fake_run(root, run_id):
    folder = root / run_id
    folder.mkdir(parents=True)
    (folder / "run.json").write_text("{}")
    return folder


def test_adopt_runs_moves_untitled_runs_and_copies_on_save_as(tmp_path):
    temp = tmp_path / "app" / "untitled-runs"
    _fake_run(temp, "r1")
    records = [{"id": "r1", "name": "one", "folder": str(temp / "r1")}]
    saved = tmp_path / "work" / "net.sprout"
    moved, changed = runs.adopt_runs(records, None, saved, temp)
    assert changed and moved[0]["folder"] == "net.runs/r1"
    assert (tmp_path / "work" / "net.runs" / "r1" / "run.json").is_file() and not (temp / "r1").exists()
    again, changed = runs.adopt_runs(moved, saved, saved, temp)
    assert not changed and again == moved
    elsewhere = tmp_path / "other" / "copy.sprout"
    copied, changed = runs.adopt_runs(moved, saved, elsewhere, temp)
    assert changed and copied[0]["folder"] == "copy.runs/r1"
    assert (tmp_path / "other" / "copy.runs" / "r1").is_dir() and (tmp_path / "work" / "net.runs" / "r1").is_dir()


def test_rename_and_delete(tmp_path):
    folder = _fake_run(tmp_path / "p.runs", "r1")
    stranger = tmp_path / "not-a-run"
    stranger.mkdir()
    records = [{"id": "r1", "name": "a", "folder": "p.runs/r1"}, {"id": "r2", "name": "b", "folder": "not-a-run"}]
    assert runs.rename_run(records, "r1", "  best so far ")[0]["name"] == "best so far"
    assert runs.rename_run(records, "r1", "   ") == records
    project = tmp_path / "p.sprout"
    left = runs.delete_run(records, "r1", project, None)
    assert [r["id"] for r in left] == ["r2"] and not folder.exists()
    assert runs.delete_run(left, "r2", project, None) == [] and stranger.is_dir()  # never removes a non-run folder


def test_pareto_front_and_class_metrics():
    pts = [(100, 0.90), (50, 0.85), (200, 0.95), (150, 0.88), (50, 0.80), (300, 0.95)]
    assert run_results.pareto_front(pts) == [1, 0, 2]
    cm = run_results.confusion_matrix([0, 0, 1, 1, 2], [0, 1, 1, 1, 0], 4)
    assert cm.tolist() == [[1, 1, 0, 0], [0, 2, 0, 0], [1, 0, 0, 0], [0, 0, 0, 0]]
    acc = run_results.per_class_accuracy(cm)
    assert acc[:3].tolist() == [0.5, 1.0, 0.0] and np.isnan(acc[3])
