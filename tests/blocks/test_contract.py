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


# --- MACs: an independent count for every buildable block --------------------------------
#
# Each rule recomputes the multiply-accumulates of one sample from the BUILT layer (its
# weights' shapes and its real output shapes), never from the block's own cost function.
# Blocks whose cost is a documented constant per output value are listed by id instead.
# A block covered by neither fails: a new block needs a rule here.

PER_OUTPUT_VALUE = {
    # id: (MACs per output value, where the constant is documented)
    "paper.swish": (3, "blocks/paper/swish.py: beta * x, the sigmoid, the product with x"),
    "paper.hard_swish": (2, "blocks/paper/hard_swish.py: the product with x and the division by 6"),
    "paper.swapout": (2, "blocks/paper/swapout.py: theta1 * X, then + theta2 * F(X)"),
    "core.batchnorm": (1, "blocks/core/batchnorm.py: one scale-and-shift per value"),
    "core.layernorm": (1, "blocks/core/layernorm.py: one scale-and-shift per value"),
    "paper.octconv_bn_act": (1, "as core.batchnorm, on both branches"),
    "core.activation": (0, "activations are counted as free, like ReLU"),
    "core.dropout": (0, "identity at inference"),
    "paper.jumpout": (0, "identity at inference"),
    "paper.gaussian_noise": (0, "identity at inference"),
    "paper.excitation_dropout": (0, "identity at inference"),
    "core.maxpool2d": (0, "comparisons, no multiply-accumulates"),
    "core.flatten": (0, "a reshape"),
    "core.reshape": (0, "a reshape"),
    "core.concatenate": (0, "a copy"),
    "core.output": (0, "a marker: no tensor of its own"),
    "core.embedding": (0, "a table lookup"),
}


def _size(weight) -> int:
    return int(np.prod(weight.shape))


def _positions(shape) -> int:
    """Output positions of one sample: every axis but the batch and the last (channels)."""
    return int(np.prod(shape[1:-1], dtype=np.int64))


def _elements(shape) -> int:
    return int(np.prod(shape[1:], dtype=np.int64))


def _kernels_at_output(layer, ins, outs):
    """Dense and convolutions: every kernel entry is used once per output position."""
    kernels = [w for w in layer.weights if len(w.shape) >= 2]
    assert kernels, f"{layer.name} has no kernel"
    return sum(_size(k) for k in kernels) * _positions(outs[0])


def _recurrent(layer, ins, outs):
    """One pass of [x, h] through the input and recurrent kernels per input step."""
    cell = layer.cell
    return ins[0][1] * (_size(cell.kernel) + _size(cell.recurrent_kernel))


def _octconv(layer, ins, outs):
    """The four inner convolutions, each at the resolution its output branch is computed at."""
    high_out = outs[0]
    low_out_positions = _positions(outs[1]) if len(outs) > 1 else 0
    low_in_positions = _positions(ins[0][1]) if _is_pair(ins[0]) else 0
    macs = _size(layer.k_h2h) * _positions(high_out)
    if layer.k_h2l is not None:
        macs += _size(layer.k_h2l) * low_out_positions
    if layer.k_l2h is not None:  # stride 1: at the low input size, then upsampled
        macs += _size(layer.k_l2h) * (low_in_positions if layer.strides == 1 else _positions(high_out))
    if layer.k_l2l is not None:
        macs += _size(layer.k_l2l) * low_out_positions
    return macs


FROM_LAYER = {
    # Keras class of the built layer: (layer, input shapes, output shapes) -> MACs
    "Dense": _kernels_at_output,
    "Conv1D": _kernels_at_output,
    "Conv2D": _kernels_at_output,
    "DepthwiseConv2D": _kernels_at_output,
    "SeparableConv2D": _kernels_at_output,
    "SimpleRNN": _recurrent,
    "LSTM": _recurrent,
    "GRU": _recurrent,
    "ZoneoutLSTM": _recurrent,
    "ZoneoutGRU": _recurrent,
    "OctConv2D": _octconv,
    "AveragePooling2D": lambda layer, ins, outs: int(np.prod(layer.pool_size)) * _elements(outs[0]),
    "GlobalAveragePooling2D": lambda layer, ins, outs: _elements(ins[0]),  # one add per input value
    "Add": lambda layer, ins, outs: (len(ins) - 1) * _elements(outs[0]),
    "Multiply": lambda layer, ins, outs: (len(ins) - 1) * _elements(outs[0]),
}


@pytest.mark.parametrize("spec", BUILDABLE, ids=lambda s: s.id)
def test_macs_match_an_independent_count(spec):
    params = spec.defaults()
    in_shapes = list(spec.example_inputs)
    out_shapes = spec.infer_shape(params, in_shapes)
    layer = spec.build(params, "blk")
    outs = [tuple(t.shape) for t in _leaves(_call(layer, _inputs(spec)))]
    kind = type(layer).__name__
    if spec.id in PER_OUTPUT_VALUE:
        per_value, _ = PER_OUTPUT_VALUE[spec.id]
        expected = per_value * sum(_elements(s) for s in outs)
    elif kind in FROM_LAYER:
        expected = FROM_LAYER[kind](layer, in_shapes, outs)
    else:
        pytest.fail(f"{spec.id} builds a {kind}: add a MAC rule for it to FROM_LAYER or PER_OUTPUT_VALUE")
    assert spec.cost(params, in_shapes, out_shapes).macs == expected


def test_the_mac_rules_fail_for_an_uncovered_block():
    """A block nobody wrote a rule for is reported, not silently passed."""
    from dataclasses import replace

    spec = replace(REGISTRY.get("paper.swish"), id="test.unruled")
    kind = type(spec.build(spec.defaults(), "blk")).__name__
    assert spec.id not in PER_OUTPUT_VALUE and kind not in FROM_LAYER
    with pytest.raises(pytest.fail.Exception, match="add a MAC rule"):
        test_macs_match_an_independent_count(spec)


def test_mac_rules_name_only_real_blocks():
    stale = sorted(set(PER_OUTPUT_VALUE) - {s.id for s in BUILDABLE})
    assert not stale, f"rules for blocks that no longer exist: {stale}"


# --- one training step per block -------------------------------------------------------------

def _head(tensors):
    """Flatten every output leaf, join them, and regress one number: a loss for any block."""
    import keras

    flat = [keras.layers.Flatten()(t) if len(t.shape) > 2 else t for t in tensors]
    joined = flat[0] if len(flat) == 1 else keras.layers.Concatenate()(flat)
    return keras.layers.Dense(1, name="head")(joined)


@pytest.mark.parametrize("spec", BUILDABLE, ids=lambda s: s.id)
def test_one_training_step(spec):
    """Input -> block -> Dense(1), SGD + MSE: a finite loss, and the block's weights move."""
    import keras

    keras.utils.set_random_seed(0)
    inputs = _inputs(spec)
    layer = spec.build(spec.defaults(), "blk")
    model_inputs = [t for group in inputs for t in _leaves(group)]
    model = keras.Model(model_inputs, _head(_leaves(_call(layer, inputs))))
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="mse")
    rng = np.random.default_rng(2)
    x = [a for group in _sample(spec, rng, batch=8) for a in _leaves(group)]
    y = rng.normal(size=(8, 1)).astype("float32")
    before = [keras.ops.convert_to_numpy(w).copy() for w in layer.trainable_weights]
    loss = float(np.asarray(model.train_on_batch(x if len(x) > 1 else x[0], y)))
    assert np.isfinite(loss)
    after = [keras.ops.convert_to_numpy(w).copy() for w in layer.trainable_weights]
    if before:
        assert any(not np.array_equal(a, b) for a, b in zip(before, after, strict=True)), \
            f"{spec.id}: no trainable weight changed after one step"


@pytest.mark.parametrize("spec", [s for s in REGISTRY if any(p.kind in ("int", "float") for p in s.params)],
                         ids=lambda s: s.id)
def test_numbers_beyond_float_range_are_one_line_param_errors(spec):
    """Issue 9, item 6: ``rate=10**400`` raised OverflowError instead of naming the parameter."""
    for p in spec.params:
        if p.kind in ("int", "float"):
            for value in (10**400, -(10**400)):
                with pytest.raises(ParamError) as info:
                    spec.validate_params({p.name: value})
                assert info.value.param == p.name and len(str(info.value)) < 300
