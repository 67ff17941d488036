"""The tensor arena a ``.tflite`` needs under TensorFlow Lite Micro, estimated from its tensor table.

TFLM runs a model in one caller-given byte array, the arena: every tensor that is not
a constant (constants stay in flash, in the model array) gets a slice of it for as long
as it is live, plus TFLM's own bookkeeping. :func:`measure` loads the model in the LiteRT
interpreter (without delegates, so its op list is the model's own), takes the size of
each tensor from its allocated tensor table and the op order from its op list, and
computes the peak of the live non-constant tensors over that order:

* a tensor is live from the op that writes it (from the start, for graph inputs) to the
  last op that reads it (to the end, for graph outputs); variables live throughout;
* each tensor is rounded up to 16 bytes (TFLM's arena alignment);
* constants (tensors with a buffer in the file) cost nothing.

The peak of simultaneously live tensors is a lower bound for any memory plan; TFLM's
greedy planner can need somewhat more (fragmentation), and its kernels ask for scratch
buffers and per-op data, so :func:`measure` adds a margin, computed as follows:

* the largest scratch tensor the LiteRT kernels allocated (im2col and the like), as a
  stand-in for the scratch buffers TFLM kernels (CMSIS-NN convolutions) request;
* ``OVERHEAD_FIXED`` bytes for the interpreter, allocator and graph structures;
* ``OVERHEAD_PER_TENSOR`` bytes a tensor (``TfLiteEvalTensor``, planner records);
* ``OVERHEAD_PER_OP`` bytes an op (``TfLiteNode``, registration, builtin and op data),
  plus 8 bytes an output channel for quantized convolutions (and dense layers with
  per-channel filters): their per-channel multiplier and shift arrays;
* 10% of the peak for the planner's fragmentation.

This is an estimate, not TFLM's planner: the exact figure is what
``MicroInterpreter::arena_used_bytes()`` reports on the target after ``AllocateTensors()``.
Only the main subgraph is measured (control-flow subgraphs are not).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

ALIGNMENT = 16
OVERHEAD_FIXED = 1024
OVERHEAD_PER_TENSOR = 32
OVERHEAD_PER_OP = 192
PER_CHANNEL_BYTES = 8
FRAGMENTATION = 0.10
PER_CHANNEL_OPS = ("CONV_2D", "DEPTHWISE_CONV_2D", "TRANSPOSE_CONV")  # always, when quantized
PER_CHANNEL_IF_FILTER = ("FULLY_CONNECTED",)  # only with a per-channel quantized filter


def aligned(n: int, to: int = ALIGNMENT) -> int:
    """``n`` rounded up to a multiple of ``to``."""
    return -(-int(n) // to) * to


@dataclass(frozen=True)
class ArenaEstimate:
    """What :func:`measure` found.

    Attributes:
        arena_bytes: the suggested arena size: ``peak_bytes`` plus the margin, 16-aligned.
        peak_bytes: the peak of live non-constant tensors (each 16-aligned).
        peak_op: ``"3 MAX_POOL_2D"``, the op during which the peak is reached.
        margin_bytes: what is added for scratch buffers and TFLM's bookkeeping.
        scratch_bytes: the largest LiteRT kernel scratch tensor (part of the margin).
        activation_bytes: every non-constant tensor added up (what no reuse would need).
        constant_bytes: the constant tensors (in flash, not in the arena).
        tensors: how many tensors the model has; ``ops``: the op names in execution order.
        inputs, outputs: ``{"name", "shape", "dtype", "scale", "zero_point"}`` per tensor.
    """

    arena_bytes: int
    peak_bytes: int
    peak_op: str
    margin_bytes: int
    scratch_bytes: int
    activation_bytes: int
    constant_bytes: int
    tensors: int
    ops: tuple[str, ...]
    inputs: list[dict] = field(default_factory=list)
    outputs: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        """JSON-ready (the model card's file details)."""
        return {"arena_bytes": self.arena_bytes, "arena_peak_bytes": self.peak_bytes, "arena_peak_op": self.peak_op,
                "arena_margin_bytes": self.margin_bytes, "activation_bytes": self.activation_bytes,
                "constant_bytes": self.constant_bytes, "ops": list(self.ops)}


def _file_tensors(content: bytes) -> tuple[int, set[int], set[int]]:
    """(tensor count, constant tensors, variable tensors) of the main subgraph, from the flatbuffer."""
    from ai_edge_litert import schema_py_generated as schema

    model = schema.Model.GetRootAs(content, 0)
    graph = model.Subgraphs(0)
    constants, variables = set(), set()
    for i in range(graph.TensorsLength()):
        tensor = graph.Tensors(i)
        if tensor.IsVariable():
            variables.add(i)
            continue
        b = tensor.Buffer()
        if 0 < b < model.BuffersLength():
            buf = model.Buffers(b)
            if buf.DataLength() > 0 or buf.Size() > 0:
                constants.add(i)
    return graph.TensorsLength(), constants, variables


def _io(detail: dict) -> dict:
    scale, zero = detail["quantization"]
    return {"name": detail["name"], "shape": [int(d) for d in detail["shape"]],
            "dtype": np.dtype(detail["dtype"]).name, "scale": float(scale), "zero_point": int(zero)}


def _nbytes(detail: dict) -> int:
    try:
        item = np.dtype(detail["dtype"]).itemsize
    except TypeError:
        item = 8  # string / resource handles: a pointer-sized guess
    return int(np.prod(detail["shape"], dtype=np.int64)) * item


def measure(content: bytes) -> ArenaEstimate:
    """Estimate the TFLM tensor arena of a ``.tflite`` (see the module docstring for how).

    Raises:
        ValueError: the LiteRT interpreter cannot load or allocate the model.
    """
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    interp = Interpreter(model_content=bytes(content),
                         experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)
    interp.allocate_tensors()
    details = {int(d["index"]): d for d in interp.get_tensor_details()}
    size = {i: _nbytes(d) for i, d in details.items()}
    ops = interp._get_ops_details()  # noqa: SLF001 - the only way to the op order and operands
    inputs = [int(d["index"]) for d in interp.get_input_details()]
    outputs = [int(d["index"]) for d in interp.get_output_details()]
    n_file, constants, variables = _file_tensors(content)
    last_step = max(len(ops) - 1, 0)
    first: dict[int, int] = {i: 0 for i in inputs}
    last: dict[int, int] = {i: last_step for i in (*outputs, *variables)}
    first.update({i: 0 for i in variables})
    for step, op in enumerate(ops):
        for t in (int(t) for t in op["inputs"] if t >= 0 and t not in constants):
            first.setdefault(t, 0)  # read but never written: live from the start
            last[t] = max(last.get(t, step), step)
        for t in (int(t) for t in op["outputs"] if t >= 0):
            first[t] = min(first.get(t, step), step)
            last[t] = max(last.get(t, step), step)
    live = [0] * (last_step + 1)
    for t, start in first.items():
        for step in range(start, last[t] + 1):
            live[step] += aligned(size.get(t, 0))
    peak_step = int(np.argmax(live))
    peak = live[peak_step]
    scratch = max((aligned(n) for t, n in size.items() if t >= n_file), default=0)
    channels = sum(_channels(details, op) for op in ops if op["op_name"] in PER_CHANNEL_OPS + PER_CHANNEL_IF_FILTER)
    margin = (scratch + OVERHEAD_FIXED + OVERHEAD_PER_TENSOR * n_file + OVERHEAD_PER_OP * len(ops)
              + PER_CHANNEL_BYTES * channels + int(FRAGMENTATION * peak))
    return ArenaEstimate(
        arena_bytes=aligned(peak + margin), peak_bytes=peak,
        peak_op=f"{peak_step} {ops[peak_step]['op_name']}" if ops else "-", margin_bytes=aligned(margin),
        scratch_bytes=scratch, activation_bytes=sum(aligned(size.get(t, 0)) for t in first),
        constant_bytes=sum(size.get(t, 0) for t in constants), tensors=n_file,
        ops=tuple(op["op_name"] for op in ops),
        inputs=[_io(d) for d in interp.get_input_details()], outputs=[_io(d) for d in interp.get_output_details()])


def _channels(details: dict, op: dict) -> int:
    """Output channels TFLM keeps a multiplier and shift for (0 for a float op).

    Quantized convolutions always get them; a dense layer only when its filter is
    quantized per channel (the converter quantizes dense filters per tensor by default).
    """
    outs = [int(t) for t in op["outputs"] if t >= 0]
    detail = details.get(outs[0]) if outs else None
    if detail is None or np.dtype(detail["dtype"]).kind == "f" or not len(detail["shape"]):
        return 0
    if op["op_name"] in PER_CHANNEL_IF_FILTER:
        filt = details.get(int(op["inputs"][1])) if len(op["inputs"]) > 1 else None
        scales = (filt or {}).get("quantization_parameters", {}).get("scales", ())
        if len(scales) <= 1:
            return 0
    return int(detail["shape"][-1])
