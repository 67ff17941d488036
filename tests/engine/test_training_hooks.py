"""Technique blocks that change training: schedules, augmentation, train steps, epochs."""
from __future__ import annotations

import numpy as np
import pytest

from blocks.spec import BlockSpec, TrainingHooks
from engine.build.compiler import compile_document
from engine.data.datasets import DataConfig, load_dataset
from engine.errors import TrainingError
from engine.model.project import load_project
from engine.train.config import TrainConfig
from engine.train.trainer import train
from tests.conftest import EXAMPLES


def _compiled(registry):
    return compile_document(load_project(EXAMPLES / "digits_mlp.sprout", registry).document)


def test_lr_schedule_hook_sets_a_per_iteration_rate(registry):
    import keras

    compiled = _compiled(registry)
    seen = {}

    def schedule(base, steps, epochs):
        seen.update(base=base, steps=steps, epochs=epochs)
        return keras.optimizers.schedules.ExponentialDecay(base, decay_steps=steps, decay_rate=0.5)

    compiled.hooks.append(("clr", TrainingHooks(lr_schedule=schedule)))
    ds = load_dataset(DataConfig("digits"))
    result = train(compiled, ds, TrainConfig(epochs=3, batch_size=128, learning_rate=0.01))
    assert seen == {"base": 0.01, "steps": 10, "epochs": 3}
    lrs = [row["lr"] for row in result.history]
    np.testing.assert_allclose(lrs, [0.01 * 0.5 ** 1, 0.01 * 0.5 ** 2, 0.01 * 0.5 ** 3], rtol=1e-5)


def test_augment_hook_sees_training_batches_and_epochs(registry):
    compiled = _compiled(registry)
    calls = []

    def augment(x, epoch, rng):
        calls.append((epoch, x.shape[0]))
        return x * 0.5

    compiled.hooks.append(("pba", TrainingHooks(augment=augment)))
    ds = load_dataset(DataConfig("digits"))
    result = train(compiled, ds, TrainConfig(epochs=2, batch_size=256))
    assert sorted({e for e, _ in calls}) == [0, 1]
    assert sum(n for e, n in calls if e == 1) == len(ds.x_train)  # epoch 0 also serves Keras's first peek
    assert result.epochs_run == 2


def test_train_step_hook_and_epoch_divisor(registry):
    compiled = _compiled(registry)
    steps = []

    def wrap(model, default_step):
        def step(data):
            steps.append(1)  # traced once per function build
            return default_step(data)
        return step

    compiled.hooks.append(("free", TrainingHooks(train_step=wrap, epoch_divisor=4)))
    ds = load_dataset(DataConfig("digits"))
    result = train(compiled, ds, TrainConfig(epochs=8, batch_size=128))
    assert result.epochs_run == 2 and steps


def test_two_schedules_are_refused(registry):
    compiled = _compiled(registry)
    sched = TrainingHooks(lr_schedule=lambda *a: 0.1)
    compiled.hooks += [("a", sched), ("b", sched)]
    with pytest.raises(TrainingError, match="nodes a, b each set the lr schedule"):
        train(compiled, load_dataset(DataConfig("digits")), TrainConfig(epochs=1))


def test_standalone_technique_node_is_collected_not_built(registry):
    from blocks.registry import Registry
    from engine.model.document import GraphDocument

    spec = BlockSpec(id="test.technique", title="T", category="Paper techniques", doc="d", inputs=(), outputs=(),
                     params=(), infer_shape=lambda p, s: [], build=None,
                     training=lambda p: TrainingHooks(epoch_divisor=3), role="technique")
    tiny = Registry([*registry, spec])
    doc = GraphDocument(tiny)
    a = doc.add_node("core.input", {"shape": [4]})
    d = doc.add_node("core.dense", {"units": 3})
    o = doc.add_node("core.output")
    t = doc.add_node("test.technique")
    doc.add_link(a, "out", d, "in")
    doc.add_link(d, "out", o, "in")
    compiled = compile_document(doc)
    assert [uid for uid, _ in compiled.hooks] == [t] and compiled.hooks[0][1].epoch_divisor == 3
    assert len(compiled.model.layers) == 3
