"""paper.octconv and paper.octconv_bn_act: exact parameters and MACs, the four paths, pair plumbing."""
from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from blocks import default_registry
from blocks.spec import ParamError, ShapeError
from engine.analysis.graph import analyze, is_pair_shape
from engine.errors import PortError
from engine.model.document import GraphDocument, kinds_compatible
from tests.conftest import EXAMPLES

REG = default_registry()
OCT = REG.get("paper.octconv")
BNACT = REG.get("paper.octconv_bn_act")


def _params(**kw):
    return OCT.validate_params(kw)


def _octave_shape(c, hw, alpha):
    """The (high, low) input shape of ``c`` channels at ``hw`` x ``hw``, or a plain shape at alpha 0."""
    low = int(alpha * c)
    if low == 0:
        return (None, hw, hw, c)
    return ((None, hw, hw, c - low), (None, hw // 2, hw // 2, low))


def _keras_inputs(shape):
    import keras
    if is_pair_shape(shape):
        return tuple(keras.Input(s[1:]) for s in shape)
    return keras.Input(shape[1:])


def _shapes(y):
    return tuple(tuple(t.shape) for t in y) if isinstance(y, (list, tuple)) else tuple(y.shape)


def _plain_macs(c_in, c_out, hw, k=3, stride=1):
    return (hw // stride) ** 2 * k * k * c_in * c_out


@pytest.mark.parametrize("alpha", [0.125, 0.25, 0.5, 0.75])
def test_macs_ratio_is_exactly_one_minus_three_quarters_alpha_two_minus_alpha(alpha):
    p = _params(filters=64, alpha_in=alpha, alpha_out=alpha)
    shape = _octave_shape(64, 32, alpha)
    out = OCT.infer_shape(p, [shape])
    ratio = Fraction(OCT.cost(p, [shape], out).macs, _plain_macs(64, 64, 32))
    a = Fraction(alpha)
    assert ratio == 1 - Fraction(3, 4) * a * (2 - a)


def test_macs_at_alpha_half_are_43_75_percent_and_the_paths_add_up():
    p = _params(filters=64, alpha_in=0.5, alpha_out=0.5)
    shape = _octave_shape(64, 32, 0.5)
    macs = OCT.cost(p, [shape], OCT.infer_shape(p, [shape])).macs
    assert macs / _plain_macs(64, 64, 32) == 0.4375
    # By hand: H->H at 32x32, the other three paths at 16x16, 32 channels on each side.
    assert macs == 9 * 32 * 32 * (32 * 32) + 3 * 9 * 32 * 32 * (16 * 16) == 16_515_072


@pytest.mark.parametrize("use_bias", [True, False])
@pytest.mark.parametrize("alpha_in,alpha_out", [(0.0, 0.5), (0.5, 0.5), (0.5, 0.0), (0.25, 0.75), (0.0, 0.0)])
def test_parameters_equal_a_plain_conv2d(alpha_in, alpha_out, use_bias):
    import keras
    c_in, filters = 12, 20
    p = _params(filters=filters, alpha_in=alpha_in, alpha_out=alpha_out, use_bias=use_bias)
    shape = _octave_shape(c_in, 8, alpha_in)
    layer = OCT.build(p, "oct")
    layer(_keras_inputs(shape))
    plain = keras.layers.Conv2D(filters, 3, padding="same", use_bias=use_bias)
    plain(keras.Input((8, 8, c_in)))
    expected = plain.count_params()  # 9 * 12 * 20 (+ 20 biases: one per output channel)
    assert layer.count_params() == expected == 9 * c_in * filters + (filters if use_bias else 0)
    assert OCT.cost(p, [shape], OCT.infer_shape(p, [shape])).params == expected


@pytest.mark.parametrize("strides", [1, 2])
@pytest.mark.parametrize("alpha_in,alpha_out", [(0.0, 0.5), (0.5, 0.5), (0.5, 0.0), (0.0, 0.25), (0.25, 0.25)])
def test_inferred_shapes_equal_keras_shapes(alpha_in, alpha_out, strides):
    p = _params(filters=10, alpha_in=alpha_in, alpha_out=alpha_out, strides=strides, kernel_size=(3, 1))
    shape = _octave_shape(8, 8, alpha_in)
    (expected,) = OCT.infer_shape(p, [shape])
    y = OCT.build(p, "oct")(_keras_inputs(shape))
    assert _shapes(y) == expected
    if alpha_out:  # low = int(alpha_out * 10), high = the rest
        assert expected[1][-1] == int(alpha_out * 10) and expected[0][-1] == 10 - int(alpha_out * 10)
        assert expected[1][1] * 2 == expected[0][1] == 8 // strides


def _reference(layer, x_high, x_low, strides):
    """The four paths with stock Keras layers and the layer's own weights (official code's recipe)."""
    import keras
    w = {v.path.split("/")[-1]: np.asarray(v) for v in layer.weights}

    def conv(x, k):
        c = keras.layers.Conv2D(k.shape[-1], k.shape[:2], padding="same", use_bias=False)
        c.build(x.shape)
        c.set_weights([k])
        return np.asarray(c(x))

    def pool(x):
        return np.asarray(keras.layers.AveragePooling2D(2)(x))

    def up(x):
        return np.asarray(keras.layers.UpSampling2D(2, interpolation="nearest")(x))

    if strides == 2:
        x_high = pool(x_high)
    l2h = conv(x_low, w["kernel_l2h"])
    y_high = conv(x_high, w["kernel_h2h"]) + (up(l2h) if strides == 1 else l2h) + w["bias_high"]
    y_low = conv(pool(x_high), w["kernel_h2l"]) + conv(pool(x_low) if strides == 2 else x_low,
                                                       w["kernel_l2l"]) + w["bias_low"]
    return y_high, y_low


@pytest.mark.parametrize("strides", [1, 2])
def test_forward_matches_the_four_paths(strides):
    rng = np.random.default_rng(0)
    p = _params(filters=6, alpha_in=0.5, alpha_out=0.5, strides=strides)
    layer = OCT.build(p, "oct")
    x_high = rng.normal(size=(2, 8, 8, 3)).astype("float32")
    x_low = rng.normal(size=(2, 4, 4, 3)).astype("float32")
    layer((x_high, x_low))
    for v in layer.weights:  # non-zero biases, so a missing or doubled bias shows
        if "bias" in v.path:
            v.assign(rng.normal(size=v.shape).astype("float32"))
    y_high, y_low = layer((x_high, x_low))
    r_high, r_low = _reference(layer, x_high, x_low, strides)
    np.testing.assert_allclose(np.asarray(y_high), r_high, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(np.asarray(y_low), r_low, rtol=1e-5, atol=1e-5)
    assert sorted(v.path.split("/")[-1] for v in layer.weights) == [
        "bias_high", "bias_low", "kernel_h2h", "kernel_h2l", "kernel_l2h", "kernel_l2l"]


def test_alpha_zero_both_sides_is_a_plain_conv2d():
    import keras
    x = np.random.default_rng(1).normal(size=(2, 7, 7, 3)).astype("float32")
    layer = OCT.build(_params(filters=5, alpha_in=0.0, alpha_out=0.0, activation="relu"), "oct")
    y = np.asarray(layer(x))
    plain = keras.layers.Conv2D(5, 3, padding="same", activation="relu")
    plain.build(x.shape)
    plain.set_weights([np.asarray(w) for w in layer.weights])
    np.testing.assert_allclose(y, np.asarray(plain(x)), rtol=1e-5, atol=1e-6)


def test_odd_sizes_and_mismatched_inputs_raise_clear_shape_errors():
    with pytest.raises(ShapeError, match="even height and width"):
        OCT.infer_shape(_params(alpha_in=0.0), [(None, 7, 8, 3)])
    with pytest.raises(ShapeError, match="even height and width"):  # 6 / 2 = 3 has no half
        OCT.infer_shape(_params(alpha_in=0.0, strides=2), [(None, 6, 6, 3)])
    with pytest.raises(ShapeError, match="expects a .high, low. pair"):
        OCT.infer_shape(_params(alpha_in=0.5), [(None, 8, 8, 4)])
    with pytest.raises(ShapeError, match="alpha_in=0 expects a plain image"):
        OCT.infer_shape(_params(alpha_in=0.0), [((None, 8, 8, 4), (None, 4, 4, 4))])
    with pytest.raises(ShapeError, match="half the high branch"):
        OCT.infer_shape(_params(), [((None, 8, 8, 4), (None, 8, 8, 4))])
    with pytest.raises(ShapeError, match="3 low channels out of 8"):
        OCT.infer_shape(_params(alpha_in=0.375), [((None, 8, 8, 4), (None, 4, 4, 4))])
    with pytest.raises(ParamError, match="int\\(0.1 \\* 4\\) = 0") as info:
        OCT.infer_shape(_params(filters=4, alpha_in=0.0, alpha_out=0.1), [(None, 8, 8, 3)])
    assert info.value.param == "alpha_out"
    # 7x7 is fine where there is no low branch at all.
    assert OCT.infer_shape(_params(alpha_in=0.0, alpha_out=0.0), [(None, 7, 7, 3)]) == [(None, 7, 7, 16)]


def test_bn_act_normalizes_each_branch_with_its_own_statistics():
    layer = BNACT.build(BNACT.validate_params({"activation": "linear", "momentum": 0.0}), "bnact")
    rng = np.random.default_rng(2)
    x_high = (10 + 3 * rng.normal(size=(16, 4, 4, 3))).astype("float32")
    x_low = (-5 + 0.1 * rng.normal(size=(16, 2, 2, 2))).astype("float32")
    y_high, y_low = layer((x_high, x_low), training=True)
    for y in (np.asarray(y_high), np.asarray(y_low)):
        np.testing.assert_allclose(y.mean(axis=(0, 1, 2)), 0, atol=1e-4)
        np.testing.assert_allclose(y.std(axis=(0, 1, 2)), 1, atol=0.06)  # epsilon shrinks the low branch a bit
    assert layer.count_params() == 4 * 3 + 4 * 2
    shape = ((None, 4, 4, 3), (None, 2, 2, 2))
    assert BNACT.cost(BNACT.defaults(), [shape], BNACT.infer_shape(BNACT.defaults(), [shape])).params == 20
    assert BNACT.infer_shape(BNACT.defaults(), [(None, 4, 4, 3)]) == [(None, 4, 4, 3)]


def test_octave_ports_link_to_tensors_and_analysis_catches_a_pair_on_a_tensor_port():
    assert kinds_compatible("octave", "tensor") and kinds_compatible("pair", "octave")
    assert not kinds_compatible("pair", "tensor")
    doc = GraphDocument(REG)
    inp = doc.add_node("core.input", {"shape": [8, 8, 1]})
    first = doc.add_node("paper.octconv", {"alpha_in": 0.0, "alpha_out": 0.5, "filters": 8})
    flat = doc.add_node("core.flatten")
    doc.add_link(inp, "out", first, "in")
    link = doc.add_link(first, "out", flat, "in")
    analysis = analyze(doc)
    assert analysis.link_shape(link, doc) == ((None, 8, 8, 4), (None, 4, 4, 4))
    assert any("receives a (high, low) pair" in m for m in analysis.errors_by_node()[flat])
    doc.set_params(first, {"alpha_in": 0.0, "alpha_out": 0.0, "filters": 8})
    assert analyze(doc).nodes[flat].out_shapes == [(None, 8 * 8 * 8)]
    with pytest.raises(PortError):
        doc.add_link(inp, "out", first, "bogus")


def test_example_project_compiles_with_pairs_on_its_links(registry):
    from engine.build.compiler import compile_document
    from engine.model.project import load_project

    doc = load_project(EXAMPLES / "digits_octconv.sprout", registry).document
    analysis = analyze(doc)
    assert analysis.ok, analysis.errors
    shapes = [analysis.link_shape(link, doc) for link in doc.links()]
    assert ((None, 8, 8, 16), (None, 4, 4, 16)) in shapes  # 8x8 image -> low 4x4
    assert ((None, 4, 4, 32), (None, 2, 2, 32)) in shapes  # after the stride-2 OctConv -> low 2x2
    model = compile_document(doc).model
    assert model.count_params() == analysis.totals()["params"]
    for uid in ("n2", "n3", "n4", "n5"):
        assert _shapes(model.get_layer(uid).output) == analysis.nodes[uid].out_shapes[0]
    probs = np.asarray(model([np.zeros((2, 8, 8, 1), "float32")]))
    np.testing.assert_allclose(probs.sum(axis=1), 1, rtol=1e-5)
