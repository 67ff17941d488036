"""What the training monitor records when a run stops or diverges (issue 9, items 12 and 18)."""
from __future__ import annotations

import numpy as np

from engine.build.compiler import compile_document
from engine.data.datasets import DataConfig, load_dataset
from engine.model.document import GraphDocument
from engine.model.project import load_project
from engine.train.config import TrainConfig
from engine.train.trainer import train
from tests.conftest import EXAMPLES, Polled


def _mlp(registry):
    return compile_document(load_project(EXAMPLES / "digits_mlp.sprout", registry).document)


def test_a_stop_on_the_epoch_boundary_records_no_fake_epoch(registry):
    ds = load_dataset(DataConfig("digits"))
    batches = int(np.ceil(len(ds.x_train) / 64))
    polls = []

    def should_stop():  # the first poll of epoch 2 asks to stop: no step of epoch 2 runs
        polls.append(1)
        return len(polls) > batches

    result = train(_mlp(registry), ds, TrainConfig(epochs=3, batch_size=64), control=Polled(should_stop))
    assert result.stop_reason == "stopped"
    assert [row["epoch"] for row in result.history] == [1] and result.epochs_run == 1
    assert all(row["loss"] > 0 for row in result.history)  # no row of reset metrics (loss 0, accuracy 0)


def test_divergence_in_the_first_epoch_says_no_weights_are_kept(registry):
    doc = GraphDocument(registry)
    a = doc.add_node("core.input", {"shape": [64]})
    d = doc.add_node("core.dense", {"units": 1})
    o = doc.add_node("core.output", {"loss": "mse"})
    doc.add_link(a, "out", d, "in")
    doc.add_link(d, "out", o, "in")
    cfg = TrainConfig(epochs=3, batch_size=64, learning_rate=1e6, optimizer="sgd")
    result = train(compile_document(doc), load_dataset(DataConfig("digits")), cfg)
    assert result.stop_reason == "nan_loss" and result.best_epoch is None
    assert "no weights are kept" in result.message and "best weights so far" not in result.message
