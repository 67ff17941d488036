"""Swapout (Singh, Hoiem & Forsyth, NeurIPS 2016): masks, inference modes, schedule."""
from __future__ import annotations

import numpy as np
import pytest

from blocks import default_registry
from blocks.paper.swapout import SPEC, stochastic_average
from blocks.rules.swapout import apply_linear_schedule, linear_keep_schedule
from blocks.spec import ShapeError


def _layer(**kw):
    from blocks.layers.swapout import Swapout

    return Swapout(**kw)


def _masks(keep_x, keep_fx, shape=(32, 16, 16, 8), seed=7):
    """Read both masks off one training pass: with X = 1 and F(X) = 2, Y = T1 + 2 * T2."""
    x = np.ones(shape, "float32")
    y = np.asarray(_layer(keep_x=keep_x, keep_fx=keep_fx, seed=seed)([x, 2 * x], training=True))
    assert set(np.unique(y)) <= {0.0, 1.0, 2.0, 3.0}
    return np.isin(y, (1.0, 3.0)), np.isin(y, (2.0, 3.0))


def test_registered_with_two_ports_and_reference():
    spec = default_registry().get("paper.swapout")
    assert spec is SPEC and spec.category == "Paper techniques" and spec.stochastic
    assert spec.input_names() == ["x", "fx"]
    assert "Singh" in spec.reference and "2016" in spec.reference and spec.pros and spec.cons


def test_shapes_must_match():
    assert SPEC.infer_shape(SPEC.defaults(), [(None, 4, 4, 3), (None, 4, 4, 3)]) == [(None, 4, 4, 3)]
    with pytest.raises(ShapeError, match=r"\(batch, 4, 4, 3\), \(batch, 4, 4, 2\)"):
        SPEC.infer_shape(SPEC.defaults(), [(None, 4, 4, 3), (None, 4, 4, 2)])
    with pytest.raises(ShapeError, match="two inputs"):
        SPEC.infer_shape(SPEC.defaults(), [(None, 4)])


def test_keep_params_are_probabilities():
    assert SPEC.validate_params({"keep_x": 1.0, "keep_fx": 0.3})["keep_fx"] == 0.3
    # 0 is a probability too: the paper's Theta = 0 special cases (issue 9, item 17).
    assert SPEC.validate_params({"keep_x": 0.0, "keep_fx": 0.0}) == {**SPEC.defaults(), "keep_x": 0.0,
                                                                     "keep_fx": 0.0}
    for bad in (1.5, -0.1, 1.0000001):
        with pytest.raises(Exception, match="Received: keep_x="):
            SPEC.validate_params({"keep_x": bad})


@pytest.mark.parametrize("bad", [-0.1, 1.5, float("nan")])
def test_layer_refuses_keep_outside_zero_one(bad):
    with pytest.raises(ValueError, match="Expected 0 <= keep_fx <= 1"):
        _layer(keep_fx=bad)


@pytest.mark.parametrize("inference", ["deterministic", "stochastic"])
@pytest.mark.parametrize(("keep_x", "keep_fx", "pick"), [
    (1.0, 0.0, lambda x, fx: x),       # skip only: the block is the identity
    (0.0, 1.0, lambda x, fx: fx),      # F(X) only: a plain feed-forward layer
    (0.0, 0.0, lambda x, fx: 0 * x),   # both dropped
])
def test_theta_zero_special_cases(keep_x, keep_fx, pick, inference):
    rng = np.random.default_rng(4)
    x, fx = rng.normal(size=(4, 8, 8, 3)).astype("float32"), rng.normal(size=(4, 8, 8, 3)).astype("float32")
    layer = SPEC.build(SPEC.validate_params({"keep_x": keep_x, "keep_fx": keep_fx, "inference": inference}),
                       "swap")
    for training in (True, False):
        np.testing.assert_array_equal(np.asarray(layer([x, fx], training=training)), pick(x, fx))


def test_theta_zero_on_x_is_dropout_on_fx_without_rescaling():
    x, fx = np.full((64, 256), 5.0, "float32"), np.ones((64, 256), "float32")
    y = np.asarray(_layer(keep_x=0.0, keep_fx=0.7, seed=1)([x, fx], training=True))
    assert set(np.unique(y)) == {0.0, 1.0}  # X never leaks in; kept units are F(X), unscaled
    assert abs(y.mean() - 0.7) < 0.01
    np.testing.assert_allclose(np.asarray(_layer(keep_x=0.0, keep_fx=0.7)([x, fx], training=False)), 0.7 * fx)


def test_theta_zero_round_trips_through_a_saved_model(tmp_path):
    import keras

    from blocks import register_keras_objects

    register_keras_objects()
    a, b = keras.Input((6,)), keras.Input((6,))
    keras.Model([a, b], _layer(keep_x=1.0, keep_fx=0.0)([a, b])).save(tmp_path / "m.keras")
    again = keras.saving.load_model(tmp_path / "m.keras", safe_mode=True)
    x, fx = np.arange(12, dtype="float32").reshape(2, 6), np.ones((2, 6), "float32")
    np.testing.assert_array_equal(again.predict([x, fx], verbose=0), x)
    assert again.layers[-1].get_config()["keep_fx"] == 0.0


@pytest.mark.parametrize("inference", ["deterministic", "stochastic"])
def test_keep_one_is_exactly_add(inference):
    rng = np.random.default_rng(0)
    x, fx = rng.normal(size=(2, 8, 8, 4)).astype("float32"), rng.normal(size=(2, 8, 8, 4)).astype("float32")
    layer = _layer(keep_x=1.0, keep_fx=1.0, inference=inference, seed=3)
    for training in (True, False):
        np.testing.assert_array_equal(np.asarray(layer([x, fx], training=training)), x + fx)


def test_masks_are_independent_bernoulli_with_the_keep_probabilities():
    t1, t2 = _masks(0.6, 0.8)
    assert abs(t1.mean() - 0.6) < 0.005 and abs(t2.mean() - 0.8) < 0.005  # 65k units each
    assert abs(np.corrcoef(t1.ravel(), t2.ravel())[0, 1]) < 0.02
    # Independence: all four unit states 0, X, F(X), X+F(X) occur at the product rates.
    assert abs((t1 & t2).mean() - 0.48) < 0.005 and abs((~t1 & ~t2).mean() - 0.08) < 0.005


def test_masks_are_per_element_not_per_channel_or_per_sample():
    t1, t2 = _masks(0.5, 0.5, shape=(4, 16, 16, 3))
    for mask in (t1, t2):
        # Within one channel of one sample the mask varies over positions...
        assert 0.3 < mask[0, :, :, 0].mean() < 0.7
        # ...and at one position it varies over channels.
        assert len({tuple(mask[0, i, j, :]) for i in range(16) for j in range(16)}) > 1


def test_deterministic_inference_is_the_expectation():
    rng = np.random.default_rng(1)
    x, fx = rng.normal(size=(3, 10)).astype("float32"), rng.normal(size=(3, 10)).astype("float32")
    y = np.asarray(_layer(keep_x=0.7, keep_fx=0.4)([x, fx], training=False))
    np.testing.assert_array_equal(y, np.float32(0.7) * x + np.float32(0.4) * fx)


def test_training_differs_from_deterministic_inference():
    x = np.ones((4, 64), "float32")
    layer = _layer(keep_x=0.5, keep_fx=0.5, seed=0)
    assert not np.allclose(np.asarray(layer([x, x], training=True)), np.asarray(layer([x, x], training=False)))


def test_stochastic_inference_varies_and_averages_to_the_expectation():
    rng = np.random.default_rng(2)
    x, fx = rng.normal(size=(8, 32)).astype("float32"), rng.normal(size=(8, 32)).astype("float32")
    layer = _layer(keep_x=0.6, keep_fx=0.7, inference="stochastic", seed=5)
    a, b = (np.asarray(layer([x, fx], training=False)) for _ in range(2))
    assert not np.array_equal(a, b)
    expected = 0.6 * x + 0.7 * fx
    avg = stochastic_average(lambda inp: layer(inp, training=False), [x, fx], n=2000)
    # Standard error of each unit's mean over n passes of two independent Bernoulli masks.
    std = np.sqrt((0.6 * 0.4 * x**2 + 0.7 * 0.3 * fx**2) / 2000)
    assert np.all(np.abs(avg - expected) < 5 * std + 1e-6)
    assert np.abs(avg - expected).mean() < 0.03
    # Fewer passes are further from the expectation on average (the error shrinks with n).
    few = stochastic_average(lambda inp: layer(inp, training=False), [x, fx], n=3)
    assert np.abs(few - expected).mean() > np.abs(avg - expected).mean()


def test_stochastic_average_handles_lists_and_bad_n():
    calls = iter(range(10))
    out = stochastic_average(lambda _: [np.full(2, next(calls)), np.zeros(1)], None, n=4)
    np.testing.assert_allclose(out[0], [1.5, 1.5])
    with pytest.raises(ValueError, match="n >= 1"):
        stochastic_average(lambda _: 0, None, n=0)


def test_stochastic_inference_through_a_saved_model(tmp_path):
    import keras

    from blocks import register_keras_objects

    register_keras_objects()
    a, b = keras.Input((16,)), keras.Input((16,))
    model = keras.Model([a, b], _layer(keep_x=0.5, keep_fx=0.5, inference="stochastic")([a, b]))
    model.save(tmp_path / "m.keras")
    again = keras.saving.load_model(tmp_path / "m.keras", safe_mode=True)
    ones = np.ones((2, 16), "float32")
    runs = [again.predict([ones, ones], verbose=0) for _ in range(3)]
    assert not (np.array_equal(runs[0], runs[1]) and np.array_equal(runs[1], runs[2]))
    assert again.layers[-1].get_config()["inference"] == "stochastic"


def test_linear_schedule_matches_the_paper():
    np.testing.assert_allclose(linear_keep_schedule(5), [1.0, 0.875, 0.75, 0.625, 0.5])
    assert linear_keep_schedule(1) == [1.0] and linear_keep_schedule(0) == []
    assert linear_keep_schedule(2) == [1.0, 0.5]
    with pytest.raises(ValueError, match="last_drop"):
        linear_keep_schedule(3, last_drop=1.0)


def test_schedule_from_document_nodes():
    nodes = [{"id": "n1", "block": "core.input", "params": {}},
             {"id": "n2", "block": "paper.swapout", "params": {"keep_x": 0.2, "keep_fx": 0.2}},
             {"id": "n3", "block": "core.conv2d", "params": {"filters": 4}},
             {"id": "n4", "block": "paper.swapout", "params": {}},
             {"id": "n5", "block": "paper.swapout", "params": {"inference": "stochastic"}}]
    assert linear_keep_schedule(nodes) == [1.0, 0.75, 0.5]
    out = apply_linear_schedule(nodes)
    assert [n["params"].get("keep_x") for n in out] == [None, 1.0, None, 0.75, 0.5]
    assert out[4]["params"] == {"inference": "stochastic", "keep_x": 0.5, "keep_fx": 0.5}
    assert nodes[1]["params"]["keep_x"] == 0.2  # the input is not modified
    params = apply_linear_schedule([{}, {}, {}])
    assert [p["keep_fx"] for p in params] == [1.0, 0.75, 0.5]
    for p in params:
        SPEC.validate_params(p)


def test_example_project_uses_the_schedule():
    import json
    from pathlib import Path

    path = Path(__file__).resolve().parents[3] / "resources" / "examples" / "digits_swapout.sprout"
    nodes = json.loads(path.read_text())["nodes"]
    swap = [n["params"] for n in nodes if n["block"] == "paper.swapout"]
    assert len(swap) >= 2
    expected = linear_keep_schedule(len(swap))
    assert [p["keep_x"] for p in swap] == expected and [p["keep_fx"] for p in swap] == expected
