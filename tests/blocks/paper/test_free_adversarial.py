"""paper.free_adversarial: Algorithm 1 of Shafahi et al. (2019), checked step by step, and PGD."""
from __future__ import annotations

import math

import numpy as np
import pytest

from blocks import default_registry
from blocks.paper.free_adversarial import make_train_step, pgd_attack
from blocks.spec import ParamError, ShapeError
from engine.analysis.graph import analyze
from engine.build.compiler import compile_document
from engine.data.datasets import DataConfig, load_dataset
from engine.model.project import load_project
from engine.train.config import TrainConfig
from engine.train.trainer import train
from tests.conftest import EXAMPLES

REG = default_registry()
FREE = REG.get("paper.free_adversarial")
LR, EPS, M = 0.5, 0.1, 3


def _linear(seed=0):
    """Dense(3, softmax) on 4 features, plain SGD, so one replay is easy to redo in NumPy."""
    import keras

    keras.utils.set_random_seed(seed)
    inp = keras.Input((4,))
    out = keras.layers.Dense(3, activation="softmax")(inp)
    model = keras.Model(inp, out)
    model.compile(keras.optimizers.SGD(LR), "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def _numpy_replays(w, b, delta, x, y, old_delta=True):
    """m replays of one minibatch in float64; delta's first len(x) rows are used and updated."""
    w, b, delta = w.astype(np.float64), b.astype(np.float64), delta.astype(np.float64).copy()
    n = len(x)
    for _ in range(M):
        d = delta[:n]
        z = x + d
        inside = (z > 0.0) & (z < 1.0)  # clipping to the data range stops the input gradient
        xa = np.clip(z, 0.0, 1.0)
        logits = xa @ w + b
        p = np.exp(logits - logits.max(1, keepdims=True))
        p /= p.sum(1, keepdims=True)
        g = (p - np.eye(3)[y]) / n  # d(mean cross-entropy)/d(logits)
        gx = (g @ w.T) * inside
        new_d = np.clip(d + EPS * np.sign(gx), -EPS, EPS)
        if not old_delta:  # the wrong order: move delta first, then take the weight step there
            xa = np.clip(x + new_d, 0.0, 1.0)
            logits = xa @ w + b
            p = np.exp(logits - logits.max(1, keepdims=True))
            p /= p.sum(1, keepdims=True)
            g = (p - np.eye(3)[y]) / n
        w, b = w - LR * xa.T @ g, b - LR * g.sum(0)
        delta[:n] = new_d
    return w, b, delta


def test_params_validate_and_check_the_data_range():
    params = FREE.validate_params({})
    assert params == {"epsilon": 0.1, "replays": 4, "clip_min": 0.0, "clip_max": 1.0}
    with pytest.raises(ParamError, match="epsilon"):
        FREE.validate_params({"epsilon": 0.0})
    with pytest.raises(ParamError, match="replays"):
        FREE.validate_params({"replays": 0})
    with pytest.raises(ParamError, match="clip_min < clip_max"):
        FREE.infer_shape(FREE.validate_params({"clip_min": 1.0, "clip_max": 1.0}), [])
    hooks = FREE.training(FREE.validate_params({"replays": 8}))
    assert hooks.epoch_divisor == 8 and hooks.train_step and hooks.evaluate
    assert FREE.build is None and not FREE.inputs and not FREE.outputs


def test_replays_match_numpy_and_delta_persists_between_minibatches():
    model = _linear()
    step = make_train_step(model, EPS, M, 0.0, 1.0)
    model.train_step = step
    rng = np.random.default_rng(1)
    x1, y1 = rng.uniform(0.0, 1.0, (8, 4)).astype("float32"), rng.integers(0, 3, 8)
    x2, y2 = rng.uniform(0.0, 1.0, (5, 4)).astype("float32"), rng.integers(0, 3, 5)  # a smaller last batch
    w, b = (v.numpy() for v in model.weights)
    delta = np.zeros((8, 4))

    model.train_on_batch(x1, y1)
    w, b, delta = _numpy_replays(w, b, delta, x1, y1)
    assert int(model.optimizer.iterations) == M  # each minibatch is replayed m times
    after_first = step.delta.numpy()
    assert after_first.shape == (8, 4) and np.abs(after_first).max() == pytest.approx(EPS)
    np.testing.assert_allclose(after_first, delta, atol=1e-6)
    np.testing.assert_allclose(model.weights[0].numpy(), w, rtol=1e-4, atol=1e-6)

    w_old, b_old = (v.numpy() for v in model.weights)
    model.train_on_batch(x2, y2)  # starts from the delta left by the first minibatch
    w, b, delta = _numpy_replays(w, b, delta, x2, y2)
    assert int(model.optimizer.iterations) == 2 * M
    after_second = step.delta.numpy()
    np.testing.assert_allclose(after_second, delta, atol=1e-6)
    np.testing.assert_array_equal(after_second[5:], after_first[5:])  # rows beyond the batch are kept
    assert np.abs(after_second).max() <= EPS + 1e-7
    np.testing.assert_allclose(model.weights[0].numpy(), w, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(model.weights[1].numpy(), b, rtol=1e-4, atol=1e-6)
    # The check has teeth: taking the weight step at the NEW delta lands elsewhere.
    w_wrong, _, _ = _numpy_replays(w_old, b_old, after_first, x2, y2, old_delta=False)
    assert not np.allclose(w_wrong, w, rtol=1e-4, atol=1e-6)


def test_delta_is_not_a_weight_and_stays_in_the_ball():
    model = _linear()
    step = make_train_step(model, EPS, M, 0.0, 1.0)
    model.train_step = step
    rng = np.random.default_rng(2)
    x, y = rng.uniform(0.0, 1.0, (40, 4)).astype("float32"), rng.integers(0, 3, 40)
    ids = {id(v) for v in model.weights}
    for i in range(0, 40, 16):
        model.train_on_batch(x[i:i + 16], y[i:i + 16])
        assert np.abs(step.delta.numpy()).max() <= EPS + 1e-7
    assert id(step.delta) not in ids
    assert "free_adversarial_delta" not in {v.name for v in model.weights}
    assert len(model.trainable_weights) == 2 and not model.non_trainable_weights
    assert np.abs(step.delta.numpy()).max() == pytest.approx(EPS)  # it did move


def test_non_float_input_is_refused():
    import keras

    inp = keras.Input((6,), dtype="int32")
    out = keras.layers.Dense(2)(keras.layers.Embedding(10, 4)(inp))
    model = keras.Model(inp, out)
    model.compile("sgd", "mse")
    with pytest.raises(ShapeError, match="float input"):
        make_train_step(model, EPS, M, 0.0, 1.0)


def test_trainer_divides_epochs_and_replays_every_batch(registry):
    doc = load_project(EXAMPLES / "digits_mlp.sprout", registry).document
    doc.add_node("paper.free_adversarial", {"epsilon": 0.1, "replays": 4})
    compiled = compile_document(doc)
    ds = load_dataset(DataConfig("digits"))
    result = train(compiled, ds, TrainConfig(epochs=8, batch_size=256))
    assert result.epochs_run == 2  # 8 epochs / m=4
    batches = math.ceil(len(ds.x_train) / 256)
    assert int(compiled.model.optimizer.iterations) == 2 * batches * 4
    row = result.history[-1]
    assert 0.0 < row["loss"] < 10.0 and 0.0 <= row["accuracy"] <= 1.0  # history.csv stays meaningful
    test = result.metrics["test"]
    assert test["pgd_epsilon"] == 0.1 and test["pgd_steps"] == 10 and 0.0 <= test["pgd_accuracy"] <= 1.0


def test_pgd_lowers_accuracy_and_stays_in_the_ball_and_range():
    import keras

    ds = load_dataset(DataConfig("digits"))
    x_train, x_test = ds.x_train.reshape(len(ds.x_train), -1), ds.x_test.reshape(len(ds.x_test), -1)
    keras.utils.set_random_seed(0)
    inp = keras.Input((64,))
    out = keras.layers.Dense(10, activation="softmax")(keras.layers.Dense(32, activation="relu")(inp))
    model = keras.Model(inp, out)
    model.compile(keras.optimizers.Adam(0.01), "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train, ds.y_train, epochs=15, batch_size=64, verbose=0)  # natural training
    eps = 0.1
    adv = pgd_attack(model, x_test, ds.y_test, eps, 10, 2.5 * eps / 10, 0.0, 1.0, seed=0)
    assert adv.shape == x_test.shape
    assert np.abs(adv - x_test).max() <= eps + 1e-6
    assert adv.min() >= 0.0 and adv.max() <= 1.0
    clean = model.evaluate(x_test, ds.y_test, verbose=0, return_dict=True)["accuracy"]
    robust = model.evaluate(adv, ds.y_test, verbose=0, return_dict=True)["accuracy"]
    noise = np.clip(x_test + np.random.default_rng(0).choice([-eps, eps], x_test.shape), 0, 1)
    noisy = model.evaluate(noise, ds.y_test, verbose=0, return_dict=True)["accuracy"]
    assert clean > 0.9 and robust < clean - 0.1 and robust < noisy  # an attack, not just noise
    hooks = FREE.training(FREE.validate_params({"epsilon": eps}))
    assert hooks.evaluate(model, x_test, ds.y_test)["pgd_accuracy"] == pytest.approx(robust, abs=1e-6)


def test_example_project_checks(registry):
    doc = load_project(EXAMPLES / "digits_free_adv.sprout", registry).document
    assert analyze(doc).ok
    compiled = compile_document(doc)
    (uid, hooks), = compiled.hooks
    assert doc.node(uid).block == "paper.free_adversarial" and hooks.epoch_divisor == 4
