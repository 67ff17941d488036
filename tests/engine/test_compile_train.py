"""Compiling graphs to Keras and training them: shapes agree, stop and NaN behave."""
from __future__ import annotations

import csv
import json
import subprocess
import sys

import numpy as np
import pytest

from engine.analysis.graph import analyze
from engine.build.compiler import compile_document
from engine.data.datasets import DataConfig, load_dataset
from engine.errors import CompileError
from engine.model.document import GraphDocument
from engine.model.project import load_project
from engine.train.config import TrainConfig
from engine.train.monitor import RunMonitor
from engine.train.trainer import train
from tests.conftest import ROOT, Polled, example_names, train_into


@pytest.mark.parametrize("name", example_names())
def test_examples_compile_with_the_inferred_shapes(name, registry, example_path):
    doc = load_project(example_path(name), registry).document
    analysis = analyze(doc)
    compiled = compile_document(doc)
    model = compiled.model
    for layer in model.layers:
        res = analysis.nodes[layer.name]
        if res.block == "core.input":
            continue
        out = layer.output  # a (high, low) pair (OctConv) comes back as a list of two tensors
        shape = tuple(tuple(t.shape) for t in out) if isinstance(out, (list, tuple)) else tuple(out.shape)
        assert shape == res.out_shapes[0], layer.name
    assert model.count_params() == analysis.totals()["params"]


def test_residual_graph_has_a_real_skip(registry, example_path):
    model = compile_document(load_project(example_path("residual_cnn"), registry).document).model
    add = model.get_layer("n5")
    assert {t._keras_history.operation.name for t in add.input} == {"n4", "n2"}


def test_compile_error_names_graph_or_node(registry):
    doc = GraphDocument(registry)
    a = doc.add_node("core.input", {"shape": [4]})
    d = doc.add_node("core.dense", {"units": 3})
    doc.add_link(a, "out", d, "in")
    with pytest.raises(CompileError, match="no Output block"):
        compile_document(doc)
    conv = doc.add_node("core.conv2d")
    doc.add_link(d, "out", conv, "in")
    with pytest.raises(CompileError) as info:
        compile_document(doc)
    assert info.value.uid == conv


def _tiny(registry, lr=0.01, optimizer="adam"):
    doc = load_project(ROOT / "resources/examples/digits_mlp.sprout", registry).document
    return compile_document(doc), TrainConfig(epochs=2, batch_size=64, learning_rate=lr, optimizer=optimizer)


def test_tiny_training_learns_and_writes_files(registry, tmp_path):
    compiled, cfg = _tiny(registry)
    ds = load_dataset(DataConfig("digits"))
    seen = []
    result = train_into(tmp_path, compiled, ds, cfg, on_progress=seen.append)
    assert result.stop_reason == "completed" and result.epochs_run == 2
    assert result.metrics["test"]["accuracy"] > 0.6  # 10 classes: chance is 0.1
    ticks = [p for p in seen if p.stage == "train"]
    batches = int(np.ceil(len(ds.x_train) / 64))
    # One report per execution block: every batch is covered once, the bar ends at the last.
    assert [p.step for p in ticks] == sorted({p.step for p in ticks}) and ticks[-1].step == 2 * batches
    assert len(ticks) <= 2 * batches
    with open(tmp_path / "history.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["epoch", "loss", "accuracy", "val_loss", "val_accuracy", "lr", "seconds"]
    assert float(rows[0]["lr"]) == pytest.approx(0.01)
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["epochs_run"] == 2 and summary["params"] == compiled.model.count_params()
    for name in ("model.keras", "best.keras", "last.keras"):
        assert (tmp_path / name).stat().st_size > 0


def test_stop_request_ends_after_the_current_batch(registry):
    compiled, cfg = _tiny(registry)
    ds = load_dataset(DataConfig("digits"))
    polls = []

    def should_stop():  # polled before each step; the request comes while step 3 runs
        polls.append(int(compiled.model.optimizer.iterations.numpy()))
        return len(polls) > 3

    result = train(compiled, ds, cfg, control=Polled(should_stop))
    assert result.stop_reason == "stopped"
    assert int(compiled.model.optimizer.iterations.numpy()) == 3  # step 3 finished, no step 4 started
    assert polls == [0, 1, 2, 3]
    assert result.epochs_run == 1 and "after 3 steps" in result.message
    assert result.metrics["test"]["accuracy"] > 0  # weights are usable


def test_nan_loss_stops_with_a_clear_message(registry, tmp_path):
    doc = GraphDocument(registry)
    a = doc.add_node("core.input", {"shape": [64]})
    d = doc.add_node("core.dense", {"units": 1})
    o = doc.add_node("core.output", {"loss": "mse"})
    doc.add_link(a, "out", d, "in")
    doc.add_link(d, "out", o, "in")
    ds = load_dataset(DataConfig("digits"))
    cfg = TrainConfig(epochs=3, batch_size=64, learning_rate=1e6, optimizer="sgd")  # diverges at once
    result = train_into(tmp_path, compile_document(doc), ds, cfg)
    assert result.stop_reason == "nan_loss"
    assert "lower learning rate" in result.message and "epoch 1" in result.message
    assert not (tmp_path / "model.keras").exists()  # no NaN weights saved as a model


def test_nan_monitor_keeps_best_weights():
    class FakeModel:
        stop_training = False
        optimizer = None

        def __init__(self):
            self.weights = [np.ones(2)]

        def get_weights(self):
            return [w.copy() for w in self.weights]

    cfg = TrainConfig(epochs=5)
    monitor = RunMonitor(cfg, 100, None, None)
    model = FakeModel()
    monitor.epoch_begin(0)
    monitor.batch_end(model, {"loss": 1.0})
    import engine.train.monitor as trainer_mod
    original = trainer_mod._current_lr
    trainer_mod._current_lr = lambda m: 0.1
    try:
        monitor.epoch_end(model, 0, {"loss": 1.0, "val_loss": 0.5})
    finally:
        trainer_mod._current_lr = original
    model.weights = [np.full(2, np.nan)]
    monitor._last_read = -1e9  # the next step reads the loss
    monitor.batch_end(model, {"loss": float("nan")})
    assert monitor.reason == "nan_loss" and model.stop_training
    np.testing.assert_array_equal(monitor.best_weights[0], np.ones(2))


def test_saved_model_reloads_in_a_fresh_python_with_safe_mode(registry, tmp_path):
    compiled, cfg = _tiny(registry)
    ds = load_dataset(DataConfig("digits"))
    train_into(tmp_path, compiled, ds, cfg)
    x = ds.x_test[:5].reshape(5, 64)
    np.save(tmp_path / "x.npy", x)
    expected = compiled.model.predict(x, verbose=0)
    code = ("import sys, numpy as np; sys.path.insert(0, sys.argv[1]); import blocks, keras; "
            "m = keras.saving.load_model(sys.argv[2], safe_mode=True); "
            "np.save(sys.argv[3], m.predict(np.load(sys.argv[4]), verbose=0))")
    subprocess.run([sys.executable, "-c", code, str(ROOT), str(tmp_path / "model.keras"),
                    str(tmp_path / "y.npy"), str(tmp_path / "x.npy")], check=True, capture_output=True)
    np.testing.assert_allclose(np.load(tmp_path / "y.npy"), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.slow
def test_digits_cnn_reaches_95_percent_in_20_epochs(registry, example_path, tmp_path):
    from engine.train.workflow import open_project, plan_run, run_training

    plan = plan_run(open_project(example_path("digits_cnn")))
    assert plan.train_config.epochs <= 20
    _, _, result = run_training(plan)
    assert result.metrics["test"]["accuracy"] >= 0.95
