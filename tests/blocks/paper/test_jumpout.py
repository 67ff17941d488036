"""Jumpout (Wang, Zhou & Bilmes, ICML 2019): sampled rate, normalization, rescale."""
from __future__ import annotations

import math

import numpy as np
import pytest

from blocks import default_registry
from blocks.paper.jumpout import SPEC
from blocks.spec import ParamError


def _layer(**kw):
    from blocks.layers.jumpout import JumpOut

    return JumpOut(**kw)


def _train(layer, x):
    return np.asarray(layer(np.asarray(x, "float32"), training=True))


def _relu_like(rng, shape, active_fraction):
    """Positive values on a known fraction of units, zeros elsewhere (a ReLU output)."""
    x = rng.uniform(0.5, 2.0, size=shape).astype("float32")
    x[rng.random(shape) >= active_fraction] = 0.0
    return x


def test_registered_with_reference():
    spec = default_registry().get("paper.jumpout")
    assert spec is SPEC and spec.category == "Paper techniques" and spec.stochastic
    assert "Wang" in spec.reference and "ICML" in spec.reference and "2019" in spec.reference
    from blocks.layers.jumpout import RESCALE_EXPONENT

    assert RESCALE_EXPONENT == -0.75


def test_p_min_above_p_max_is_a_param_error():
    with pytest.raises(ParamError, match="Expected p_min <= p_max. Received: p_min=0.5, p_max=0.2"):
        SPEC.infer_shape(SPEC.validate_params({"p_min": 0.5, "p_max": 0.2}), [(None, 8)])
    assert SPEC.infer_shape(SPEC.defaults(), [(None, 4, 4, 3)]) == [(None, 4, 4, 3)]


def test_identity_at_inference():
    x = np.random.default_rng(0).normal(size=(8, 4, 4, 3)).astype("float32")
    layer = _layer(sigma=0.5, p_min=0.2, p_max=0.6, seed=1)
    np.testing.assert_array_equal(np.asarray(layer(x, training=False)), x)
    np.testing.assert_array_equal(np.asarray(layer(x)), x)


def test_rescale_uses_the_paper_exponent():
    # All units active (q+ = 1) and a fixed rate p = 0.3: kept values read off the factor.
    y = _train(_layer(p_min=0.3, p_max=0.3, seed=2), np.ones((8, 500)))
    kept = np.unique(y[y != 0])
    assert kept.size == 1
    np.testing.assert_allclose(kept[0], 0.7 ** -0.75, rtol=1e-6)  # 1.30670, not 1/0.7 = 1.42857
    assert abs(kept[0] - 1 / 0.7) > 0.1


def test_rate_is_normalized_by_the_active_fraction_per_batch():
    rng = np.random.default_rng(3)
    x = _relu_like(rng, (64, 32, 32), 0.4)  # 65,536 units, 40 % active
    q = (x > 0).mean()
    y = _train(_layer(p_min=0.2, p_max=0.2, seed=4), x)
    active = x > 0
    p_eff = 0.2 / q  # about 0.5 of the active units are dropped
    assert abs((y[active] == 0).mean() - p_eff) < 0.01
    # The share of the whole layer switched off by dropout is the sampled rate itself.
    assert abs((active & (y == 0)).mean() - 0.2) < 0.005
    np.testing.assert_allclose(y[active & (y != 0)] / x[active & (y != 0)], (1 - p_eff) ** -0.75, rtol=1e-4)


def test_inactive_units_stay_zero():
    x = _relu_like(np.random.default_rng(5), (16, 128), 0.3)
    for normalize in ("batch", "sample"):
        y = _train(_layer(sigma=0.3, p_max=0.6, normalize=normalize, seed=6), x)
        assert np.all(y[x == 0] == 0)
        assert np.all((y == 0) | (np.sign(y) == np.sign(x)))


def test_per_sample_normalization_uses_each_sample_active_fraction():
    x = np.zeros((2, 8000), "float32")
    x[0] = 1.0  # all active
    x[1, :2000] = 1.0  # a quarter active
    y = _train(_layer(p_min=0.2, p_max=0.2, normalize="sample", seed=7), x)
    assert abs((y[0] == 0).mean() - 0.2) < 0.02
    assert abs((y[1, :2000] == 0).mean() - 0.8) < 0.03
    np.testing.assert_allclose(np.unique(y[1][y[1] != 0]), [0.2 ** -0.75], rtol=1e-5)
    # Per batch the same input has q+ = 5/8: one rate 0.32 for both samples.
    yb = _train(_layer(p_min=0.2, p_max=0.2, normalize="batch", seed=7), x)
    np.testing.assert_allclose(np.unique(yb[yb != 0]), [0.68 ** -0.75], rtol=1e-5)


def test_normalized_rate_is_capped_and_all_zero_input_is_safe():
    from blocks.layers.jumpout import MAX_RATE

    x = np.zeros((4, 1000), "float32")
    x[:, :50] = 1.0  # 5 % active: 0.5 / 0.05 = 10 would be meaningless
    y = _train(_layer(p_min=0.5, p_max=0.5, seed=8), x)
    np.testing.assert_allclose(np.unique(y[y != 0]), [(1 - MAX_RATE) ** -0.75], rtol=1e-5)
    zeros = np.zeros((4, 10), "float32")
    np.testing.assert_array_equal(_train(_layer(seed=9), zeros), zeros)


def test_rate_follows_a_truncated_half_gaussian():
    sigma, p_min, p_max = 0.1, 0.05, 0.3
    layer = _layer(sigma=sigma, p_min=p_min, p_max=p_max, seed=10)
    ones = np.ones((1, 256), "float32")
    rates = []
    for _ in range(400):
        y = _train(layer, ones)
        # q+ = 1, so the kept value is (1 - p)^-0.75: invert it to read this step's p.
        rates.append(1 - float(y[y != 0][0]) ** (-1 / 0.75))
    rates = np.array(rates)
    assert rates.min() >= p_min - 1e-5 and rates.max() <= p_max + 1e-5
    # Mean of min(p_min + |N(0, sigma)|, p_max): p_min + E[min(|n|, 0.25)].
    half = sigma * math.sqrt(2 / math.pi) * (1 - math.exp(-(0.25 / sigma) ** 2 / 2))
    tail = 0.25 * math.erfc(0.25 / sigma / math.sqrt(2))
    assert abs(rates.mean() - (p_min + half + tail)) < 0.01
    # Monotone decreasing density: more mass near p_min than further out.
    counts, _ = np.histogram(rates, bins=[0.05, 0.1, 0.15, 0.2, 0.25])
    assert counts[0] > counts[1] > counts[2] > counts[3]
    assert abs(np.isclose(rates, p_max, atol=1e-5).mean() - math.erfc(2.5 / math.sqrt(2))) < 0.02
