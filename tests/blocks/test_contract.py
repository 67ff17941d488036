"""One contract test over every registered block (DESIGN.md section 2)."""
from __future__ import annotations

import numpy as np
import pytest

from blocks import default_registry
from blocks.spec import ParamError

REGISTRY = default_registry()
BUILDABLE = [s for s in REGISTRY if s.build is not None]


def _inputs(spec):
    import keras
    return [keras.Input(shape=shape[1:], dtype=spec.example_dtype, batch_size=None) for shape in spec.example_inputs]


def _call(layer, tensors, **kw):
    return layer(tensors if len(tensors) > 1 else tensors[0], **kw)


def _sample(spec, rng, batch=4):
    arrays = []
    for shape in spec.example_inputs:
        full = (batch, *shape[1:])
        if spec.example_dtype.startswith("int"):
            arrays.append(rng.integers(0, 5, size=full).astype(spec.example_dtype))
        else:
            arrays.append(rng.normal(size=full).astype(spec.example_dtype))
    return arrays


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
    assert tuple(y.shape) == tuple(expected[0])
    cost = spec.cost(params, in_shapes, expected)
    assert cost.params == layer.count_params()
    if spec.outputs:  # an Output marker creates no new tensor
        assert cost.activation_bytes == 4 * int(np.prod(expected[0][1:]))
    # Config round trip: same config, same output shape.
    clone = layer.__class__.from_config(layer.get_config())
    y2 = _call(clone, _inputs(spec))
    assert tuple(y2.shape) == tuple(y.shape)
    assert clone.get_config() == layer.get_config()
    assert isinstance(layer, keras.layers.Layer)


@pytest.mark.parametrize("spec", BUILDABLE, ids=lambda s: s.id)
def test_training_and_inference(spec):
    """Stochastic blocks differ between training and inference; others do not."""
    rng = np.random.default_rng(0)
    layer = spec.build(spec.defaults(), "blk")
    data = _sample(spec, rng, batch=16)
    x = data if len(data) > 1 else data[0]
    infer = np.asarray(layer(x, training=False))
    train = np.asarray(layer(x, training=True))
    if spec.stochastic:
        assert not np.allclose(infer, train)
    else:
        np.testing.assert_allclose(infer, train, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("spec", BUILDABLE, ids=lambda s: s.id)
def test_saved_model_reloads_with_safe_mode(spec, tmp_path):
    """A one-layer model around the block survives .keras save/load in safe mode."""
    import keras

    from blocks import register_keras_objects

    register_keras_objects()
    rng = np.random.default_rng(1)
    inputs = _inputs(spec)
    model = keras.Model(inputs, _call(spec.build(spec.defaults(), "blk"), inputs))
    path = tmp_path / "m.keras"
    model.save(path)
    again = keras.saving.load_model(path, safe_mode=True)
    data = _sample(spec, rng)
    x = data if len(data) > 1 else data[0]
    np.testing.assert_allclose(np.asarray(again(x, training=False)), np.asarray(model(x, training=False)),
                               rtol=1e-5, atol=1e-6)
