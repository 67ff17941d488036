"""Excitation Dropout (Zunino et al., IJCV 2021): retain rule, EB saliency, two-pass step."""
from __future__ import annotations

import numpy as np
import pytest

from blocks.layers.excitation_dropout import make_train_step, retain_probability, saliency_function
from blocks.paper.excitation_dropout import SPEC
from blocks.spec import ParamError, ShapeError


def _paper(s, P, N):
    """The retain probability exactly as printed in the paper."""
    return 1 - (1 - P) * (N - 1) * s / (((1 - P) * N - 1) * s + P)


def _layer(**kw):
    from blocks.layers.excitation_dropout import ExcitationDropout

    return ExcitationDropout(**kw)


@pytest.mark.parametrize("P, N", [(0.5, 4), (0.5, 64), (0.8, 10), (0.2, 2)])
def test_retain_probability_exact_checks(P, N):
    assert retain_probability(1 / N, P, N) == pytest.approx(P, abs=1e-12)  # average unit: plain dropout
    assert retain_probability(1.0, P, N) == 0.0  # all the evidence in one unit: always dropped
    assert retain_probability(0.0, P, N) == 1.0  # no evidence: always kept
    s = np.linspace(0.01, 0.99, 50)
    np.testing.assert_allclose(retain_probability(s, P, N), _paper(s, P, N), rtol=1e-12)


def test_retain_probability_worked_example():
    # P = 0.5, N = 4, s = 0.5: 1 - 0.5*3*0.5 / ((0.5*4 - 1)*0.5 + 0.5) = 1 - 0.75 / 1 = 0.25.
    assert retain_probability(0.5, 0.5, 4) == pytest.approx(0.25, abs=1e-12)


@pytest.mark.parametrize("P", [0.05, 0.5, 0.95])
@pytest.mark.parametrize("N", [2, 3, 64, 4096])
def test_retain_probability_is_a_probability_and_falls_with_saliency(P, N):
    s = np.linspace(0.0, 1.0, 2001)
    p = retain_probability(s, P, N)
    assert np.all(p >= 0.0) and np.all(p <= 1.0)
    assert np.all(np.diff(p) <= 1e-15)
    layer = _layer(base_retain=P)  # the layer's tensor version agrees and stays clipped
    np.testing.assert_allclose(np.asarray(layer.retain(N, s.astype("float32"))), p, atol=1e-5)


def _tiny_model(seed=0):
    """Input 4 -> Dense 6 relu -> ED -> Dense 5 relu -> Dense 3 softmax -> Output marker."""
    import keras

    from blocks.layers.excitation_dropout import ExcitationDropout

    keras.utils.set_random_seed(seed)
    inp = keras.Input((4,))
    h = keras.layers.Dense(6, activation="relu", bias_initializer="random_normal")(inp)
    e = ExcitationDropout(base_retain=0.5, name="ed")(h)
    h2 = keras.layers.Dense(5, activation="relu", bias_initializer="random_normal")(e)
    out = keras.layers.Dense(3, activation="softmax")(h2)
    return keras.Model(inp, keras.layers.Identity(name="out")(out))


def _eb_numpy(model, x, y):
    """Excitation Backprop from Zhang et al. written out unit by unit in NumPy."""
    (w1, b1), (w2, b2), (w3, _) = [(d.kernel.numpy(), d.bias.numpy()) for d in model.layers if "dense" in d.name]
    h1 = np.maximum(x @ w1 + b1, 0)
    h2 = np.maximum(h1 @ w2 + b2, 0)
    out = np.zeros(h1.shape)
    for b in range(len(x)):
        top = np.eye(3)[y[b]]
        mid = np.zeros(5)
        for j in range(5):  # P(a_j) = sum_i a_j W+_ji / (sum_k a_k W+_ki) P(a_i)
            for i in range(3):
                z = sum(h2[b, k] * max(w3[k, i], 0) for k in range(5))
                if z > 0:
                    mid[j] += h2[b, j] * max(w3[j, i], 0) / z * top[i]
        for j in range(6):
            for i in range(5):
                z = sum(h1[b, k] * max(w2[k, i], 0) for k in range(6))
                if z > 0:
                    out[b, j] += h1[b, j] * max(w2[j, i], 0) / z * mid[i]
        out[b] = out[b] / out[b].sum() if out[b].sum() > 0 else 1 / 6
    return out


def test_saliency_of_tiny_model_matches_numpy_excitation_backprop():
    model = _tiny_model()
    x = np.random.default_rng(0).normal(size=(16, 4)).astype("float32")
    y = np.arange(16) % 3
    layers, saliency = saliency_function(model)
    assert [lay.name for lay in layers] == ["ed"]
    s = np.asarray(saliency(x, y)[0])
    np.testing.assert_allclose(s, _eb_numpy(model, x, y), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(s.sum(axis=1), 1.0, rtol=1e-5)
    assert np.all(s >= 0)


def test_one_dense_after_the_block_gives_the_closed_form():
    import keras

    keras.utils.set_random_seed(1)
    inp = keras.Input((8,))
    e = _layer(name="ed")(keras.layers.Dense(7, activation="relu", bias_initializer="ones")(inp))
    dense = keras.layers.Dense(4, activation="softmax")
    model = keras.Model(inp, dense(e))
    x = np.random.default_rng(1).normal(size=(10, 8)).astype("float32")
    y = np.random.default_rng(2).integers(0, 4, size=10)
    a = np.asarray(model.layers[1](x))
    wc = np.maximum(dense.kernel.numpy()[:, y].T, 0)  # W+_jc per sample
    total = (a * wc).sum(axis=1, keepdims=True)
    assert (total > 0).all()
    expected = a * wc / total
    _, saliency = saliency_function(model)
    np.testing.assert_allclose(np.asarray(saliency(x, y)[0]), expected, rtol=1e-5, atol=1e-7)
    one_hot = np.eye(4, dtype="float32")[y]  # one-hot labels give the same saliency
    np.testing.assert_allclose(np.asarray(saliency(x, one_hot)[0]), expected, rtol=1e-5, atol=1e-7)


def test_more_salient_units_are_dropped_more_often():
    import keras

    P, s = 0.5, np.array([0.6, 0.25, 0.1, 0.05, 0.0], "float32")
    layer = _layer(base_retain=P, seed=7)
    x = np.ones((20000, 5), "float32")
    object.__setattr__(layer, "saliency", keras.ops.convert_to_tensor(np.tile(s, (20000, 1))))
    y = np.asarray(layer(x, training=True))
    p = retain_probability(s.astype(float), P, 5)
    dropped = (y == 0).mean(axis=0)
    assert np.all(np.diff(dropped) < 0)  # ordered by saliency
    np.testing.assert_allclose(dropped, 1 - p, atol=0.015)
    for j in range(5):  # kept units are scaled by 1/p, per unit (inverted dropout)
        np.testing.assert_allclose(y[y[:, j] != 0, j], 1 / p[j], rtol=1e-5)
    np.testing.assert_allclose(y[:, 4], 1.0)  # s = 0: always kept, unscaled


def test_identity_at_inference_and_uniform_fallback_without_labels():
    import keras

    layer = _layer(base_retain=0.8, seed=3)
    x = np.random.default_rng(0).uniform(1, 2, size=(4000, 16)).astype("float32")
    object.__setattr__(layer, "saliency", keras.ops.convert_to_tensor(np.full((4000, 16), 1 / 16, "float32")))
    np.testing.assert_array_equal(np.asarray(layer(x, training=False)), x)
    object.__setattr__(layer, "saliency", None)
    np.testing.assert_array_equal(np.asarray(layer(x)), x)
    y = np.asarray(layer(x, training=True))  # no saliency: standard dropout with retain P
    assert abs((y != 0).mean() - 0.8) < 0.01
    np.testing.assert_allclose(y[y != 0], (x / 0.8)[y != 0], rtol=1e-6)


def test_step_uses_the_true_labels_and_resets():
    from blocks.layers.excitation_dropout import ExcitationDropout

    model = _tiny_model(seed=4)
    layer = model.get_layer("ed")
    x = np.random.default_rng(5).normal(size=(32, 4)).astype("float32")
    y = np.arange(32) % 3
    seen = []

    def spy(data):
        seen.append(np.asarray(layer.saliency))
        return {}

    step = make_train_step(model, spy)
    step((x, y))
    step((x, (y + 1) % 3))  # every sample gets another class
    step((x,))  # no labels: uniform fallback, nothing set
    np.testing.assert_allclose(seen[0], _eb_numpy(model, x, y), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(seen[1], _eb_numpy(model, x, (y + 1) % 3), rtol=1e-5, atol=1e-6)
    assert not np.allclose(seen[0], seen[1])
    assert seen[2].shape == () and layer.saliency is None
    masks = []
    for s in seen[:2]:  # same seed, other labels: other dropout masks
        twin = ExcitationDropout(base_retain=0.5, seed=11)
        object.__setattr__(twin, "saliency", s)
        masks.append(np.asarray(twin(np.ones((32, 6), "float32"), training=True)) == 0)
    assert (masks[0] != masks[1]).any()


def test_step_sets_the_saliency_inside_a_compiled_train_function():
    import tensorflow as tf

    model = _tiny_model(seed=4)
    layer = model.get_layer("ed")
    x = np.random.default_rng(5).normal(size=(32, 4)).astype("float32")
    y = np.arange(32) % 3

    def spy(data):  # what the layer sees while Keras's step runs, traced like fit() traces it
        return {"retain": layer.retain(6, layer.saliency)}

    retain = tf.function(make_train_step(model, spy))((x, y))["retain"].numpy()
    np.testing.assert_allclose(retain, retain_probability(_eb_numpy(model, x, y), 0.5, 6), rtol=1e-4, atol=1e-6)
    assert layer.saliency is None


def test_unsupported_layer_after_the_block_is_refused_at_training_start():
    import keras

    inp = keras.Input((4,))
    e = _layer(name="ed")(keras.layers.Dense(6, activation="relu")(inp))
    h = keras.layers.LayerNormalization(name="ln")(keras.layers.Dense(5)(e))
    model = keras.Model(inp, keras.layers.Dense(3, activation="softmax")(h))
    with pytest.raises(ShapeError, match=r"cannot pass through ln \(LayerNormalization\)"):
        make_train_step(model, model.train_step)


def test_spec_rules():
    assert SPEC.infer_shape(SPEC.defaults(), [(None, 64)]) == [(None, 64)]
    with pytest.raises(ShapeError, match="Expected an input of \\(batch, units\\)"):
        SPEC.infer_shape(SPEC.defaults(), [(None, 8, 8, 3)])
    with pytest.raises(ShapeError, match="at least 2 units"):
        SPEC.infer_shape(SPEC.defaults(), [(None, 1)])
    for bad in (0.0, 1.0):
        with pytest.raises(ParamError, match=f"Received: base_retain={bad}"):
            SPEC.validate_params({"base_retain": bad})

    import keras

    def default_step(data):
        return {}

    # The hook is the two-pass step: it guides a model with the layer, leaves others alone.
    hook = SPEC.training(SPEC.defaults()).train_step
    plain = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    assert hook(plain, default_step) is default_step
    assert hook(_tiny_model(), default_step) is not default_step


def test_example_trains_through_the_trainer_with_the_hook(registry, tmp_path):
    import keras

    from blocks import register_keras_objects
    from engine.build.compiler import compile_document
    from engine.data.datasets import DataConfig, load_dataset
    from engine.model.project import load_project
    from engine.train.config import TrainConfig
    from tests.conftest import EXAMPLES, train_into

    doc = load_project(EXAMPLES / "digits_excitation_dropout.sprout", registry).document
    compiled = compile_document(doc)
    assert [uid for uid, _ in compiled.hooks] == ["n3"]
    result = train_into(tmp_path, compiled, load_dataset(DataConfig("digits")),
                        TrainConfig(epochs=3, batch_size=64, learning_rate=0.005))
    assert compiled.model.train_step.__qualname__.startswith("make_train_step")
    assert result.stop_reason == "completed" and result.metrics["test"]["accuracy"] > 0.8
    register_keras_objects()
    again = keras.saving.load_model(tmp_path / "model.keras", safe_mode=True)
    x = np.random.default_rng(0).normal(size=(5, 64)).astype("float32")
    np.testing.assert_allclose(np.asarray(again([x])), np.asarray(compiled.model([x])), rtol=1e-5, atol=1e-6)
