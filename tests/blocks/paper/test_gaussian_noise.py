"""paper.gaussian_noise: training-only N(0, sigma^2) noise and the expected-loss identity.

The identity (Bishop 1995; An 1996): for a linear model y_hat = w.x with squared loss,
adding independent N(0, sigma^2) noise to the inputs gives
    E[(y - w.(x + e))^2] = (y - w.x)^2 + sigma^2 * ||w||^2,
because E[w.e] = 0 and E[(w.e)^2] = sigma^2 * ||w||^2.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from blocks import default_registry
from blocks.spec import ParamError

SPEC = default_registry().get("paper.gaussian_noise")
Z = 5.0  # tolerances are Z standard errors of the Monte Carlo estimate


def _layer(sigma, seed=0):
    import keras

    keras.utils.set_random_seed(seed)
    return SPEC.build(SPEC.validate_params({"sigma": sigma}), "noise")


def test_identity_at_inference():
    x = np.random.default_rng(0).normal(size=(64, 10)).astype("float32")
    layer = _layer(2.0)
    np.testing.assert_array_equal(np.asarray(layer(x, training=False)), x)
    np.testing.assert_array_equal(np.asarray(layer(x)), x)  # no training flag means inference


def test_identity_at_inference_inside_a_model():
    import keras

    inp = keras.Input((10,))
    model = keras.Model(inp, _layer(3.0)(inp))
    x = np.random.default_rng(1).normal(size=(32, 10)).astype("float32")
    np.testing.assert_array_equal(model.predict(x, verbose=0), x)
    assert not np.allclose(np.asarray(model(x, training=True)), x)


@pytest.mark.parametrize("sigma", [0.3, 0.5, 2.0, 5.0])
def test_training_noise_has_mean_zero_and_std_sigma(sigma):
    n = 200_000
    x = np.full((400, 500), 7.0, dtype="float32")
    noise = np.asarray(_layer(sigma)(x, training=True), dtype=np.float64) - 7.0
    assert abs(noise.mean()) < Z * sigma / math.sqrt(n)
    # The sample std of n normals has standard error sigma / sqrt(2n).
    assert abs(noise.std() - sigma) < Z * sigma / math.sqrt(2 * n)
    # Independent across positions: neighbouring columns are uncorrelated.
    corr = np.corrcoef(noise[:, :-1].ravel(), noise[:, 1:].ravel())[0, 1]
    assert abs(corr) < Z / math.sqrt(n)


def test_fresh_noise_every_call_and_zero_sigma_is_identity():
    x = np.zeros((8, 16), dtype="float32")
    layer = _layer(1.5)
    first, second = np.asarray(layer(x, training=True)), np.asarray(layer(x, training=True))
    assert not np.allclose(first, second)
    np.testing.assert_array_equal(np.asarray(_layer(0.0)(x, training=True)), x)


def test_sigma_above_one_is_accepted_and_negative_refused():
    assert SPEC.validate_params({"sigma": 25.0})["sigma"] == 25.0
    with pytest.raises(ParamError, match=r"Expected 0 <= sigma .*Received: sigma=-0.1"):
        SPEC.validate_params({"sigma": -0.1})
    cost = SPEC.cost({"sigma": 2.0}, [(None, 32)], [(None, 32)])
    assert (cost.params, cost.macs, cost.activation_bytes) == (0, 0, 128)


@pytest.mark.parametrize("sigma", [0.5, 2.0])
def test_expected_squared_loss_gains_sigma2_times_weight_norm(sigma):
    """Monte Carlo on the real layer inside a linear Keras model: E[loss] = clean + sigma^2 ||w||^2."""
    import keras

    n = 200_000
    w = np.array([0.5, -1.0, 2.0])  # ||w||^2 = 5.25
    rng = np.random.default_rng(42)
    x = rng.normal(size=(n, 3)).astype("float32")
    y = x.astype(np.float64) @ w + rng.normal(scale=0.3, size=n)  # clean loss about 0.09

    inp = keras.Input((3,))
    dense = keras.layers.Dense(1, use_bias=False)
    model = keras.Model(inp, dense(_layer(sigma, seed=7)(inp)))
    dense.kernel.assign(w.reshape(3, 1).astype("float32"))

    clean_res = y - np.asarray(model(x, training=False), dtype=np.float64)[:, 0]
    noisy_res = y - np.asarray(model(x, training=True), dtype=np.float64)[:, 0]
    clean, noisy = np.mean(clean_res**2), np.mean(noisy_res**2)
    expected = clean + sigma**2 * float(w @ w)

    # Per sample, (r - z)^2 with z ~ N(0, s^2), s^2 = sigma^2 ||w||^2, has variance
    # 4 r^2 s^2 + 2 s^4; the mean of n of them has standard error sqrt(mean variance / n).
    s2 = sigma**2 * float(w @ w)
    stderr = math.sqrt(np.mean(4 * clean_res**2 * s2 + 2 * s2**2) / n)
    assert abs(noisy - expected) < Z * stderr, (noisy, expected, stderr)
    # The check has teeth: mistaking sigma for the variance would land far outside it.
    assert abs(noisy - (clean + sigma * float(w @ w))) > 20 * stderr


def test_saved_model_keeps_sigma_and_stays_identity(tmp_path):
    import keras

    from blocks import register_keras_objects

    register_keras_objects()
    inp = keras.Input((6,))
    model = keras.Model(inp, _layer(2.5)(inp))
    model.save(tmp_path / "m.keras")
    again = keras.saving.load_model(tmp_path / "m.keras", safe_mode=True)
    assert again.layers[-1].get_config()["sigma"] == 2.5
    x = np.ones((4, 6), dtype="float32")
    np.testing.assert_array_equal(np.asarray(again(x, training=False)), x)
    assert np.asarray(again(x, training=True)).std() > 1.0
