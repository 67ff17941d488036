"""Zoneout LSTM/GRU (Krueger et al., ICLR 2017): the blocks paper.zoneout_lstm and paper.zoneout_gru.

The reference used throughout is a NumPy step written from Keras's LSTM/GRU equations plus
the paper's zoneout rule: new = mask * candidate + (1 - mask) * old, mask ~ Bernoulli(1 - z)
while training and mask = 1 - z (the expectation) at inference.
"""
from __future__ import annotations

import numpy as np
import pytest

from blocks import default_registry
from blocks.spec import ParamError

BATCH, STEPS, FEATURES, UNITS = 3, 2, 4, 5


def _layers():
    from blocks.layers.zoneout import ZoneoutGRU, ZoneoutLSTM

    return ZoneoutLSTM, ZoneoutGRU


def _sigmoid(v):
    return 1.0 / (1.0 + np.exp(-v))


def _lstm_candidate(x, h, c, kernel, recurrent, bias):
    i, f, g, o = np.split(x @ kernel + h @ recurrent + bias, 4, axis=-1)
    c_cand = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
    return _sigmoid(o) * np.tanh(c_cand), c_cand  # h from the un-zoned c (paper, eq. for h_t)


def _gru_candidate(x, h, kernel, recurrent, bias):
    xz, xr, xh = np.split(x @ kernel + bias[0], 3, axis=-1)
    rz, rr, rh = np.split(h @ recurrent + bias[1], 3, axis=-1)
    update, reset = _sigmoid(xz + rz), _sigmoid(xr + rr)
    return update * h + (1 - update) * np.tanh(xh + reset * rh)


def _reference(kind, x, weights, mask_h, mask_c=None):
    """Zoned outputs of a sequence; masks are (batch, steps, units) arrays or scalars."""
    h = np.zeros((x.shape[0], UNITS))
    c = np.zeros_like(h)
    outs = []
    for t in range(x.shape[1]):
        m_h = mask_h[:, t] if np.ndim(mask_h) else mask_h
        if kind == "lstm":
            h_cand, c_cand = _lstm_candidate(x[:, t], h, c, *weights)
            m_c = mask_c[:, t] if np.ndim(mask_c) else mask_c
            c = m_c * c_cand + (1 - m_c) * c
        else:
            h_cand = _gru_candidate(x[:, t], h, *weights)
        h = m_h * h_cand + (1 - m_h) * h
        outs.append(h)
    return np.stack(outs, axis=1)


def _random_weights(layer, rng):
    """Non-trivial weights (biases included) so every term of the equations matters."""
    layer.set_weights([rng.normal(scale=0.6, size=w.shape).astype("float32") for w in layer.get_weights()])


def _seq(rng, batch=BATCH, steps=STEPS):
    return rng.normal(size=(batch, steps, FEATURES)).astype("float32")


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_rate_zero_equals_keras_layer_with_same_weights(kind):
    import keras
    zl, zg = _layers()
    rng = np.random.default_rng(0)
    x = _seq(rng, steps=6)
    if kind == "lstm":
        ours, plain = zl(UNITS, zoneout_cell=0.0, zoneout_hidden=0.0, return_sequences=True), \
            keras.layers.LSTM(UNITS, return_sequences=True)
    else:
        ours, plain = zg(UNITS, zoneout_hidden=0.0, return_sequences=True), \
            keras.layers.GRU(UNITS, return_sequences=True, reset_after=True)
    ours(x), plain(x)
    assert ours.count_params() == plain.count_params()
    _random_weights(plain, rng)
    ours.set_weights(plain.get_weights())  # same shapes, same order
    expected = np.asarray(plain(x))
    for training in (False, True):
        np.testing.assert_allclose(np.asarray(ours(x, training=training)), expected, atol=1e-5)


def test_parameter_counts_equal_keras_formulas():
    zl, zg = _layers()
    x = np.zeros((1, 3, FEATURES), "float32")
    lstm, gru = zl(UNITS), zg(UNITS)
    lstm(x), gru(x)
    assert lstm.count_params() == 4 * (UNITS * (FEATURES + UNITS) + UNITS)
    assert gru.count_params() == 3 * UNITS * (FEATURES + UNITS) + 6 * UNITS
    reg = default_registry()
    for block, layer in (("paper.zoneout_lstm", lstm), ("paper.zoneout_gru", gru)):
        spec = reg.get(block)
        params = spec.validate_params({"units": UNITS})
        shapes = [(None, 3, FEATURES)]
        assert spec.cost(params, shapes, spec.infer_shape(params, shapes)).params == layer.count_params()


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_rate_one_in_training_keeps_the_initial_state_forever(kind):
    zl, zg = _layers()
    rng = np.random.default_rng(1)
    x = _seq(rng, batch=8, steps=7)
    layer = zl(UNITS, zoneout_cell=1.0, zoneout_hidden=1.0, return_sequences=True) if kind == "lstm" \
        else zg(UNITS, zoneout_hidden=1.0, return_sequences=True)
    out = np.asarray(layer(x, training=True))
    np.testing.assert_array_equal(out, 0.0)
    # A non-zero initial state is carried unchanged through every step too.
    h0 = rng.normal(size=(8, UNITS)).astype("float32")
    init = [h0, rng.normal(size=(8, UNITS)).astype("float32")] if kind == "lstm" else [h0]
    out = np.asarray(layer(x, initial_state=init, training=True))
    np.testing.assert_array_equal(out, np.repeat(h0[:, None], 7, axis=1))
    # At inference, rate 1 also keeps the state: z * old + 0 * candidate.
    np.testing.assert_array_equal(np.asarray(layer(x, training=False)), 0.0)


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_inference_is_the_expected_blend(kind):
    """Two steps against NumPy: new = z * old + (1 - z) * candidate, distinct rates per state."""
    zl, zg = _layers()
    rng = np.random.default_rng(2)
    x = _seq(rng)
    z_c, z_h = 0.3, 0.2
    layer = zl(UNITS, zoneout_cell=z_c, zoneout_hidden=z_h, return_sequences=True) if kind == "lstm" \
        else zg(UNITS, zoneout_hidden=z_h, return_sequences=True)
    layer(x)
    _random_weights(layer, rng)
    weights = layer.get_weights()
    # Spelled out for step 1 (old = 0), then the generic reference for both steps.
    zeros = np.zeros((BATCH, UNITS))
    if kind == "lstm":
        h_cand, _ = _lstm_candidate(x[:, 0], zeros, zeros, *weights)
    else:
        h_cand = _gru_candidate(x[:, 0], zeros, *weights)
    got = np.asarray(layer(x, training=False))
    np.testing.assert_allclose(got[:, 0], z_h * 0.0 + (1 - z_h) * h_cand, atol=1e-5)
    expected = _reference(kind, x, weights, 1 - z_h, 1 - z_c)
    np.testing.assert_allclose(got, expected, atol=1e-5)
    # Not the plain layer: zoneout changes the inference output.
    assert not np.allclose(got, _reference(kind, x, weights, 1.0, 1.0), atol=1e-3)


def _fixed_masks(rng, batch, steps, n):
    masks = [(rng.random((batch, steps, UNITS)) >= 0.5).astype("float32") for _ in range(n)]
    return masks, (lambda sequences, training: masks)


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_training_step_with_known_masks_matches_reference(kind, monkeypatch):
    """With given 0/1 masks the layer does new = old + mask * (candidate - old), per unit."""
    zl, zg = _layers()
    rng = np.random.default_rng(3)
    x = _seq(rng, steps=4)
    layer = zl(UNITS, zoneout_cell=0.5, zoneout_hidden=0.5, return_sequences=True) if kind == "lstm" \
        else zg(UNITS, zoneout_hidden=0.5, return_sequences=True)
    layer(x)
    _random_weights(layer, rng)
    masks, fake = _fixed_masks(rng, BATCH, 4, 2 if kind == "lstm" else 1)
    monkeypatch.setattr(layer, "zoneout_masks", fake)
    got = np.asarray(layer(x, training=True))
    mask_c, mask_h = (masks[0], masks[1]) if kind == "lstm" else (None, masks[0])
    np.testing.assert_allclose(got, _reference(kind, x, layer.get_weights(), mask_h, mask_c), atol=1e-5)


def test_output_is_the_zoned_hidden_state_not_the_candidate():
    """Cell free to change but hidden state fully zoned: the output stays at h0 = 0."""
    zl, _ = _layers()
    x = _seq(np.random.default_rng(4), steps=5)
    layer = zl(UNITS, zoneout_cell=0.0, zoneout_hidden=1.0, return_sequences=True, return_state=True)
    out, h, c = (np.asarray(v) for v in layer(x, training=True))
    np.testing.assert_array_equal(out, 0.0)
    np.testing.assert_array_equal(h, 0.0)
    assert np.abs(c).min() > 0  # the raw candidate h = o * tanh(c) would not be zero


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_output_t_is_the_state_carried_into_step_t_plus_1(kind, monkeypatch):
    """Split the sequence at t: the prefix's final state, fed back in, continues the outputs."""
    zl, zg = _layers()
    rng = np.random.default_rng(5)
    steps, t = 5, 2
    x = _seq(rng, steps=steps)
    make = (lambda: zl(UNITS, return_sequences=True, return_state=True)) if kind == "lstm" \
        else (lambda: zg(UNITS, zoneout_hidden=0.5, return_sequences=True, return_state=True))
    layer = make()
    layer(x)
    masks, _ = _fixed_masks(rng, BATCH, steps, 2 if kind == "lstm" else 1)
    window = {"part": slice(None)}
    monkeypatch.setattr(layer, "zoneout_masks", lambda s, training: [m[:, window["part"]] for m in masks])
    full, *_ = layer(x, training=True)
    window["part"] = slice(0, t + 1)
    head, *state = layer(x[:, : t + 1], training=True)
    window["part"] = slice(t + 1, steps)
    tail, *_ = layer(x[:, t + 1:], initial_state=state, training=True)
    full = np.asarray(full)
    np.testing.assert_allclose(full[:, t], np.asarray(state[0]), atol=1e-6)  # output[t] == h carried on
    np.testing.assert_allclose(full[:, : t + 1], np.asarray(head), atol=1e-6)
    np.testing.assert_allclose(full[:, t + 1:], np.asarray(tail), atol=1e-5)


def test_training_masks_are_per_unit_and_per_step():
    """z = 0.5 on a large batch: about half the units keep their value, independently per step and unit."""
    zl, _ = _layers()
    rng = np.random.default_rng(6)
    x = rng.normal(size=(1500, 4, FEATURES)).astype("float32")
    layer = zl(16, zoneout_cell=0.0, zoneout_hidden=0.5, return_sequences=True, seed=7)
    out = np.asarray(layer(x, training=True))
    previous = np.concatenate([np.zeros_like(out[:, :1]), out[:, :-1]], axis=1)
    kept = out == previous  # a fresh candidate never equals the old value exactly
    assert abs(kept.mean() - 0.5) < 0.02
    np.testing.assert_allclose(kept.mean(axis=(0, 2)), 0.5, atol=0.04)  # every step
    np.testing.assert_allclose(kept.mean(axis=(0, 1)), 0.5, atol=0.04)  # every unit
    # Independent draws: for one sample, step 1 and step 2 (or unit 0 and unit 1) disagree half the time.
    assert abs((kept[:, 1] != kept[:, 2]).mean() - 0.5) < 0.03
    assert abs((kept[:, :, 0] != kept[:, :, 1]).mean() - 0.5) < 0.03
    # And a second call draws new masks.
    again = np.asarray(layer(x, training=True))
    assert not np.array_equal(out, again)


def test_cell_and_hidden_masks_use_their_own_rates():
    zl, _ = _layers()
    x = np.zeros((400, 6, FEATURES), "float32")
    layer = zl(16, zoneout_cell=0.8, zoneout_hidden=0.1, seed=1)
    layer(x)
    mask_c, mask_h = (np.asarray(m) for m in layer.zoneout_masks(x, training=True))
    assert mask_c.shape == mask_h.shape == (400, 6, 16)
    assert set(np.unique(mask_c)) <= {0.0, 1.0}
    assert abs(mask_c.mean() - 0.2) < 0.02 and abs(mask_h.mean() - 0.9) < 0.02
    inf_c, inf_h = (np.asarray(m) for m in layer.zoneout_masks(x, training=False))
    np.testing.assert_allclose(inf_c, 0.2, rtol=1e-6)
    np.testing.assert_allclose(inf_h, 0.9, rtol=1e-6)


def test_rates_round_trip_through_a_saved_model(tmp_path):
    import keras

    from blocks import register_keras_objects
    register_keras_objects()
    spec = default_registry().get("paper.zoneout_lstm")
    params = spec.validate_params({"units": 6, "zoneout_cell": 0.25, "zoneout_hidden": 0.15,
                                   "return_sequences": True})
    inputs = keras.Input((STEPS, FEATURES))
    model = keras.Model(inputs, spec.build(params, "z")(inputs))
    model.save(tmp_path / "m.keras")
    again = keras.saving.load_model(tmp_path / "m.keras", safe_mode=True)
    config = again.get_layer("z").get_config()
    assert (config["zoneout_cell"], config["zoneout_hidden"], config["units"]) == (0.25, 0.15, 6)
    x = _seq(np.random.default_rng(8))
    np.testing.assert_allclose(np.asarray(again(x)), np.asarray(model(x)), atol=1e-6)


def test_rates_are_validated():
    lstm = default_registry().get("paper.zoneout_lstm")
    gru = default_registry().get("paper.zoneout_gru")
    assert lstm.defaults()["zoneout_cell"] == 0.5 and lstm.defaults()["zoneout_hidden"] == 0.05
    assert "zoneout_cell" not in gru.defaults()
    with pytest.raises(ParamError, match=r"Expected 0 <= zoneout_cell <= 1.*Received: zoneout_cell=1.5"):
        lstm.validate_params({"zoneout_cell": 1.5})
    with pytest.raises(ParamError, match="zoneout_hidden"):
        gru.validate_params({"zoneout_hidden": -0.1})
    zl, _ = _layers()
    with pytest.raises(ValueError, match="zoneout_hidden"):
        zl(4, zoneout_hidden=2.0)
