"""One contract test over every registered block (DESIGN.md section 2)."""
from __future__ import annotations

import numpy as np
import pytest

from blocks import default_registry
from blocks.spec import ParamError

REGISTRY = default_registry()
BUILDABLE = [s for s in REGISTRY if s.build is not None]


def _is_pair(shape):
    """An example input that is a (high, low) pair of shapes (OctConv's octave ports)."""
    return len(shape) == 2 and all(isinstance(s, tuple) for s in shape)


def _inputs(spec):
    import keras

    def one(shape):
        return keras.Input(shape=shape[1:], dtype=spec.example_dtype, batch_size=None)
    return [(one(s[0]), one(s[1])) if _is_pair(s) else one(s) for s in spec.example_inputs]


def _leaves(value):
    """A layer's output as a flat list (a (high, low) pair gives two)."""
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _shapes(value):
    """The output shape, or a tuple of two shapes for a (high, low) pair."""
    if isinstance(value, (list, tuple)):
        return tuple(tuple(v.shape) for v in value)
    return tuple(value.shape)


def _call(layer, tensors, **kw):
    return layer(tensors if len(tensors) > 1 else tensors[0], **kw)


def _sample(spec, rng, batch=4):
    def one(shape):
        full = (batch, *shape[1:])
        if spec.example_dtype.startswith("int"):
            return rng.integers(0, 5, size=full).astype(spec.example_dtype)
        return rng.normal(size=full).astype(spec.example_dtype)
    return [(one(s[0]), one(s[1])) if _is_pair(s) else one(s) for s in spec.example_inputs]


@pytest.mark.parametrize("spec", list(REGISTRY), ids=lambda s: s.id)
def test_defaults_validate_and_describe(spec):
    params = spec.validate_params({})
    assert params == spec.defaults()
    assert spec.doc and spec.title and spec.category
    assert spec.id.count(".") == 1


@pytest.mark.parametrize("spec", list(REGISTRY), ids=lambda s: s.id)
def test_bad_param_names_parameter(spec):
    with pytest.raises(ParamError, match="Unknown parameter 'bogus'"):
        spec.validate_params({"bogus": 1})
    for p in spec.params:
        with pytest.raises(ParamError, match=f"Received: {p.name}="):
            spec.validate_params({p.name: "not-a-valid-value" if p.kind != "str" else 3})


@pytest.mark.parametrize("spec", BUILDABLE, ids=lambda s: s.id)
def test_keras_layer_matches_spec(spec):
    import keras
    params = spec.defaults()
    in_shapes = list(spec.example_inputs)
    expected = spec.infer_shape(params, in_shapes)
    layer = spec.build(params, "blk")
    y = _call(layer, _inputs(spec))
    assert _shapes(y) == tuple(expected[0])
    cost = spec.cost(params, in_shapes, expected)
    assert cost.params == layer.count_params()
    if spec.outputs:  # an Output marker creates no new tensor
        outs = expected[0] if _is_pair(expected[0]) else (expected[0],)
        assert cost.activation_bytes == sum(4 * int(np.prod(s[1:])) for s in outs)
    # Config round trip: same config, same output shape.
    clone = layer.__class__.from_config(layer.get_config())
    y2 = _call(clone, _inputs(spec))
    assert _shapes(y2) == _shapes(y)
    assert clone.get_config() == layer.get_config()
    assert isinstance(layer, keras.layers.Layer)


@pytest.mark.parametrize("spec", BUILDABLE, ids=lambda s: s.id)
def test_training_and_inference(spec):
    """Stochastic blocks differ between training and inference; others do not."""
    rng = np.random.default_rng(0)
    layer = spec.build(spec.defaults(), "blk")
    data = _sample(spec, rng, batch=16)
    x = data if len(data) > 1 else data[0]
    infer = [np.asarray(t) for t in _leaves(layer(x, training=False))]
    train = [np.asarray(t) for t in _leaves(layer(x, training=True))]
    if spec.stochastic:
        assert not all(np.allclose(a, b) for a, b in zip(infer, train, strict=True))
    else:
        for a, b in zip(infer, train, strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("spec", BUILDABLE, ids=lambda s: s.id)
def test_saved_model_reloads_with_safe_mode(spec, tmp_path):
    """A one-layer model around the block survives .keras save/load in safe mode."""
    import keras

    from blocks import register_keras_objects

    register_keras_objects()
    rng = np.random.default_rng(1)
    inputs = _inputs(spec)
    model = keras.Model(inputs if len(inputs) > 1 else inputs[0], _call(spec.build(spec.defaults(), "blk"), inputs))
    path = tmp_path / "m.keras"
    model.save(path)
    again = keras.saving.load_model(path, safe_mode=True)
    data = _sample(spec, rng)
    x = data if len(data) > 1 else data[0]
    for a, b in zip(_leaves(again(x, training=False)), _leaves(model(x, training=False)), strict=True):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-6)
