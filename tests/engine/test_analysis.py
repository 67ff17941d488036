"""Shape and cost inference over whole graphs, with diagnostics on the node at fault."""
from __future__ import annotations

import pytest

from engine.analysis.graph import analyze
from engine.model.document import GraphDocument
from engine.model.project import load_project
from tests.conftest import example_names

EXPECTED_OUT = {
    "digits_cnn": {"n2": (None, 8, 8, 32), "n3": (None, 4, 4, 32), "n5": (None, 2, 2, 64),
                   "n6": (None, 256), "n9": (None, 10)},
    "digits_mlp": {"n2": (None, 64), "n4": (None, 10)},
    "residual_cnn": {"n5": (None, 8, 8, 16), "n7": (None, 16), "n8": (None, 10)},
    "seq_digits_lstm": {"n2": (None, 32), "n3": (None, 10)},
    "iris_mlp": {"n2": (None, 16), "n3": (None, 3)},
}


@pytest.mark.parametrize("name", example_names())
def test_every_example_infers_without_errors(name, registry, example_path):
    analysis = analyze(load_project(example_path(name), registry).document)
    assert analysis.ok, analysis.errors
    for uid, shape in EXPECTED_OUT.get(name, {}).items():
        assert analysis.nodes[uid].out_shapes[0] == shape


def test_digits_cnn_costs_by_hand(registry, example_path):
    analysis = analyze(load_project(example_path("digits_cnn"), registry).document)
    n2 = analysis.nodes["n2"].cost  # 3x3 conv, 1 -> 32 channels, 8x8 output, same padding
    assert n2.params == 3 * 3 * 1 * 32 + 32
    assert n2.macs == 8 * 8 * 3 * 3 * 1 * 32
    n4 = analysis.nodes["n4"].cost  # 3x3 conv, 32 -> 64 channels on 4x4
    assert n4.macs == 4 * 4 * 3 * 3 * 32 * 64
    totals = analysis.totals()
    assert totals["params"] == sum(r.cost.params for r in analysis.nodes.values()) == 35914
    assert totals["size_float32_bytes"] == 4 * 35914 and totals["size_int8_bytes"] == 35914
    assert totals["flops"] == 2 * totals["macs"]


def test_wrong_shape_marks_only_the_node_at_fault(registry):
    doc = GraphDocument(registry)
    a = doc.add_node("core.input", {"shape": [16]})
    dense = doc.add_node("core.dense", {"units": 8})
    conv = doc.add_node("core.conv2d")          # needs (batch, h, w, c), gets (batch, 8)
    after = doc.add_node("core.flatten")
    out = doc.add_node("core.output")
    for s, t in [(a, dense), (dense, conv), (conv, after), (after, out)]:
        doc.add_link(s, "out", t, "in")
    analysis = analyze(doc)
    assert list(analysis.errors_by_node()) == [conv]
    assert "Expected an input of (batch, size, size, channels)" in analysis.errors_by_node()[conv][0]
    assert analysis.nodes[after].out_shapes is None  # unknown downstream, but not blamed


def test_unconnected_input_and_missing_blocks(registry):
    doc = GraphDocument(registry)
    add = doc.add_node("core.add")
    a = doc.add_node("core.input", {"shape": [4]})
    doc.add_link(a, "out", add, "in1")
    analysis = analyze(doc)
    messages = [str(d) for d in analysis.errors]
    assert f"node {add}: input port in2 is not connected" in messages
    assert "graph: the graph has no Output block: add one after the last layer" in messages


def test_valid_conv_window_too_large(registry):
    doc = GraphDocument(registry)
    a = doc.add_node("core.input", {"shape": [2, 2, 1]})
    c = doc.add_node("core.conv2d", {"kernel_size": [3, 3]})
    doc.add_link(a, "out", c, "in")
    errs = analyze(doc).errors_by_node()
    assert "padding='same'" in errs[c][0]


def test_link_shape_is_reported(registry, example_path):
    doc = load_project(example_path("digits_cnn"), registry).document
    analysis = analyze(doc)
    link = doc.links()[0]
    assert analysis.link_shape(link, doc) == (None, 8, 8, 1)
