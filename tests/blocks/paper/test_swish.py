"""paper.swish and paper.hard_swish: exact values, trainable beta, cost, save/reload."""
from __future__ import annotations

import numpy as np
import pytest

from blocks import default_registry
from blocks.spec import ParamError, ShapeError

REG = default_registry()
SWISH = REG.get("paper.swish")
HARD = REG.get("paper.hard_swish")


def _swish(params, name="swish"):
    return SWISH.build(SWISH.validate_params(params), name)


def _reference(x, beta):
    x = np.asarray(x, dtype=np.float64)
    return x / (1.0 + np.exp(-beta * x))


def test_swish_of_one_with_beta_one_is_sigmoid_of_one():
    y = np.asarray(_swish({"beta": 1.0})(np.array([[1.0]], dtype="float32")))
    assert y[0, 0] == pytest.approx(0.7310585786, abs=1e-7)


@pytest.mark.parametrize("beta", [0.0, 0.5, 1.0, 2.0, 10.0])
@pytest.mark.parametrize("mode", ["fixed", "scalar"])
def test_swish_matches_formula(beta, mode):
    x = np.linspace(-6, 6, 25, dtype="float32").reshape(1, -1)
    y = np.asarray(_swish({"beta_mode": mode, "beta": beta})(x))
    np.testing.assert_allclose(y, _reference(x, beta), rtol=1e-6, atol=1e-6)


def test_swish_special_cases():
    # beta = 0 gives x / 2; a large beta approaches ReLU; the dip below zero is about -0.278.
    x = np.array([[-3.0, -1.0, 2.0]], dtype="float32")
    np.testing.assert_allclose(np.asarray(_swish({"beta": 0.0})(x)), x / 2, rtol=1e-7)
    np.testing.assert_allclose(np.asarray(_swish({"beta": 100.0})(x)), np.maximum(x, 0), atol=1e-6)
    grid = np.linspace(-5, 0, 5001, dtype="float32").reshape(1, -1)
    assert np.asarray(_swish({})(grid)).min() == pytest.approx(-0.2784645, abs=1e-5)


def test_per_channel_beta_applies_per_channel():
    layer = _swish({"beta_mode": "per_channel", "beta": 1.0})
    x = np.array([[1.0, 1.0, 1.0]], dtype="float32")
    layer(x)
    layer.beta.assign(np.array([0.0, 1.0, 2.0], dtype="float32"))
    np.testing.assert_allclose(np.asarray(layer(x))[0], [0.5, 0.7310585786, 0.8807970780], rtol=1e-6)


@pytest.mark.parametrize("mode,expected", [("fixed", 0), ("scalar", 1), ("per_channel", 12)])
def test_params_counted_exactly(mode, expected):
    params = SWISH.validate_params({"beta_mode": mode})
    shape = (None, 5, 12)
    layer = SWISH.build(params, "s")
    import keras
    layer(keras.Input(shape[1:]))
    cost = SWISH.cost(params, [shape], SWISH.infer_shape(params, [shape]))
    assert cost.params == layer.count_params() == expected
    assert len(layer.trainable_weights) == (0 if mode == "fixed" else 1)
    assert cost.macs == 3 * 5 * 12


def test_per_channel_needs_a_known_channel_count():
    with pytest.raises(ShapeError, match="known channel count"):
        SWISH.infer_shape(SWISH.validate_params({"beta_mode": "per_channel"}), [(None, 4, None)])
    with pytest.raises(ParamError, match="Received: beta_mode='learned'"):
        SWISH.validate_params({"beta_mode": "learned"})


@pytest.mark.parametrize("mode", ["scalar", "per_channel"])
def test_beta_gets_the_analytic_gradient(mode):
    import tensorflow as tf

    layer = _swish({"beta_mode": mode, "beta": 0.7})
    x = np.random.default_rng(0).normal(size=(6, 3)).astype("float32")
    with tf.GradientTape() as tape:
        total = tf.reduce_sum(layer(x))
    grad = np.asarray(tape.gradient(total, layer.beta))
    s = 1.0 / (1.0 + np.exp(-0.7 * x.astype(np.float64)))
    per_element = x**2 * s * (1 - s)  # d/dbeta of x * sigmoid(beta x)
    expected = per_element.sum() if mode == "scalar" else per_element.sum(axis=0)
    np.testing.assert_allclose(grad, expected, rtol=1e-5)


@pytest.mark.parametrize("mode", ["scalar", "per_channel"])
def test_trainable_beta_moves_toward_the_target(mode):
    import keras

    keras.utils.set_random_seed(0)
    target = np.array([0.5, 1.5, 2.0])
    if mode == "scalar":
        target = np.full(3, 2.0)
    x = np.random.default_rng(1).normal(scale=2.0, size=(256, 3)).astype("float32")
    y = _reference(x, target).astype("float32")
    inp = keras.Input((3,))
    layer = _swish({"beta_mode": mode, "beta": 1.0})
    model = keras.Model(inp, layer(inp))
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="mse")
    before = model.evaluate(x, y, verbose=0)
    model.fit(x, y, batch_size=64, epochs=10, verbose=0)
    beta = np.broadcast_to(np.asarray(layer.beta), (3,))
    assert model.evaluate(x, y, verbose=0) < before / 10
    # Every beta moved from its start (1.0) most of the way toward its target.
    assert np.all(np.abs(beta - target) < 0.25 * np.abs(1.0 - target))


@pytest.mark.parametrize("mode", ["fixed", "scalar", "per_channel"])
def test_trained_beta_survives_save_and_reload(mode, tmp_path):
    import keras

    from blocks import register_keras_objects

    register_keras_objects()
    inp = keras.Input((4,))
    layer = _swish({"beta_mode": mode, "beta": 1.5})
    model = keras.Model(inp, layer(inp))
    if mode == "scalar":
        layer.beta.assign(0.3)
    elif mode == "per_channel":
        layer.beta.assign(np.array([0.3, 1.0, 2.0, 4.0], "float32"))
    model.save(tmp_path / "m.keras")
    again = keras.saving.load_model(tmp_path / "m.keras", safe_mode=True)
    x = np.random.default_rng(2).normal(size=(5, 4)).astype("float32")
    np.testing.assert_allclose(np.asarray(again(x)), np.asarray(model(x)), rtol=1e-6)
    assert again.layers[-1].get_config()["beta_mode"] == mode


def test_hard_swish_exact_values():
    x = np.array([[-3.0, -1.0, 0.0, 1.0, 3.0]], dtype="float32")
    y = np.asarray(HARD.build({}, "hs")(x))
    np.testing.assert_allclose(y, [[0.0, -1 / 3, 0.0, 2 / 3, 3.0]], rtol=1e-6, atol=1e-7)


def test_hard_swish_is_zero_below_minus_three_and_identity_above_three():
    x = np.array([[-10.0, -4.0, -0.5, 0.5, 4.0, 10.0]], dtype="float32")
    y = np.asarray(HARD.build({}, "hs")(x))
    np.testing.assert_allclose(y, [[0.0, 0.0, -0.5 * 2.5 / 6, 0.5 * 3.5 / 6, 4.0, 10.0]], rtol=1e-6, atol=1e-7)
    cost = HARD.cost({}, [(None, 4, 4, 8)], HARD.infer_shape({}, [(None, 4, 4, 8)]))
    assert (cost.params, cost.macs) == (0, 2 * 128)
