"""The TFLM arena estimate (engine.export.arena) on hand-made ``.tflite`` files.

The models are written with the TFLite flatbuffer schema that ``ai_edge_litert`` ships
(no TensorFlow): chains of float32 FULLY_CONNECTED ops whose tensor sizes are known, so
the liveness peak can be worked out by hand. Each is first run in the LiteRT
interpreter, to show it is a real model.
"""
from __future__ import annotations

import numpy as np
import pytest

from engine.export.arena import ALIGNMENT, aligned, measure


def dense_chain(dims, extra_outputs=(), seed=0):
    """A ``.tflite`` of Dense layers ``dims[0] -> dims[1] -> ...`` (ReLU between), and its weights.

    Args:
        dims: the layer widths, input first.
        extra_outputs: indexes of hidden activations (1 = the first layer's output) that are
            also graph outputs, so they stay live to the end.
    """
    import flatbuffers
    from ai_edge_litert import schema_py_generated as s

    rng = np.random.default_rng(seed)
    model = s.ModelT()
    model.version = 3
    code = s.OperatorCodeT()
    code.builtinCode = code.deprecatedBuiltinCode = s.BuiltinOperator.FULLY_CONNECTED
    model.operatorCodes = [code]
    model.buffers = [s.BufferT()]  # buffer 0: the empty sentinel
    tensors, ops, weights = [], [], []

    def tensor(shape, data=None):
        t = s.TensorT()
        t.shape, t.type, t.name = list(shape), s.TensorType.FLOAT32, f"t{len(tensors)}"
        buf = s.BufferT()  # activations get an empty buffer of their own, as the converter writes them
        if data is not None:
            buf.data = np.frombuffer(np.ascontiguousarray(data, "<f4").tobytes(), np.uint8)
        model.buffers.append(buf)
        t.buffer = len(model.buffers) - 1
        tensors.append(t)
        return len(tensors) - 1

    x = first = tensor([1, dims[0]])
    acts = [x]
    for i, (a, b) in enumerate(zip(dims, dims[1:])):
        w, bias = rng.normal(size=(b, a)).astype("float32"), rng.normal(size=b).astype("float32")
        weights.append((w, bias))
        y = tensor([1, b])
        op = s.OperatorT()
        op.opcodeIndex, op.inputs, op.outputs = 0, [x, tensor(w.shape, w), tensor(bias.shape, bias)], [y]
        op.builtinOptionsType = s.BuiltinOptions.FullyConnectedOptions
        op.builtinOptions = s.FullyConnectedOptionsT()
        if i < len(dims) - 2:
            op.builtinOptions.fusedActivationFunction = s.ActivationFunctionType.RELU
        ops.append(op)
        acts.append(y)
        x = y
    graph = s.SubGraphT()
    graph.tensors, graph.operators, graph.name = tensors, ops, "main"
    graph.inputs, graph.outputs = [first], [x, *(acts[i] for i in extra_outputs)]
    model.subgraphs = [graph]
    builder = flatbuffers.Builder(1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output()), weights


def _reference(weights, x):
    for i, (w, b) in enumerate(weights):
        x = x @ w.T + b
        x = np.maximum(x, 0) if i < len(weights) - 1 else x
    return x


@pytest.mark.parametrize("dims", [(4, 3), (4, 8, 8, 8, 3)])
def test_hand_made_models_run_in_litert(dims):
    from ai_edge_litert.interpreter import Interpreter

    content, weights = dense_chain(dims)
    interp = Interpreter(model_content=content)
    interp.allocate_tensors()
    x = np.arange(dims[0], dtype="float32")[None] / dims[0]
    interp.set_tensor(interp.get_input_details()[0]["index"], x)
    interp.invoke()
    got = interp.get_tensor(interp.get_output_details()[0]["index"])
    np.testing.assert_allclose(got, _reference(weights, x), rtol=1e-5, atol=1e-5)


def test_dense_4_to_3_needs_its_input_and_output_and_no_weights():
    e = measure(dense_chain((4, 3))[0])
    assert e.peak_bytes >= 4 * 4 + 3 * 4  # input and output, both live during the one op
    assert e.peak_bytes == aligned(16) + aligned(12) == 32  # each rounded up to 16 bytes
    assert e.activation_bytes == 32
    assert e.constant_bytes == (12 + 3) * 4  # weights and bias: in flash, not in the arena
    assert e.peak_op == "0 FULLY_CONNECTED" and e.ops == ("FULLY_CONNECTED",) and e.tensors == 4
    assert e.arena_bytes > e.peak_bytes and e.arena_bytes % ALIGNMENT == 0
    assert e.arena_bytes == e.peak_bytes + e.margin_bytes
    assert e.inputs[0]["shape"] == [1, 4] and e.outputs[0]["shape"] == [1, 3]
    assert e.inputs[0]["dtype"] == "float32" and e.inputs[0]["scale"] == 0.0


def test_a_deeper_chain_reuses_memory_of_dead_tensors():
    e = measure(dense_chain((4, 8, 8, 8, 3))[0])
    total = 16 + 32 + 32 + 32 + 16  # every activation, 16-aligned
    assert e.activation_bytes == total
    assert e.peak_bytes < total  # liveness matters: the input is dead after op 0, and so on
    assert e.peak_bytes == 32 + 32  # two 8-float hidden activations at once (ops 1 and 2)
    assert e.peak_op == "1 FULLY_CONNECTED"
    assert e.peak_bytes >= 16 + 16  # still at least input + output


def test_a_tensor_that_is_also_an_output_stays_live_to_the_end():
    e = measure(dense_chain((4, 8, 8, 8, 3), extra_outputs=(1,))[0])
    assert e.peak_bytes == 32 + 32 + 32  # op 2: the first hidden output (kept) and its two successors
    assert e.peak_op == "2 FULLY_CONNECTED"


def test_a_file_the_interpreter_cannot_load_is_refused():
    with pytest.raises(ValueError):
        measure(b"not a tflite file at all")
