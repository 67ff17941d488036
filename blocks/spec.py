"""The block contract: ports, typed parameters, shape and cost rules.

A block module exposes one ``SPEC`` (a frozen :class:`BlockSpec`). Everything here is
pure Python so the editor can validate a graph on every edit without importing Keras.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

Shape = tuple  # (None, d1, d2, ...): batch axis first, always None.
ROLES = ("layer", "input", "output", "technique")


class BlockError(Exception):
    """Base class for errors raised by block rules."""


class ShapeError(BlockError):
    """The input shapes do not fit the block; the message says what was expected."""


class _Invalid(Exception):
    """Raised inside ParamSpec while coercing; turned into a ParamError with its message."""


class ParamError(BlockError):
    """A parameter value is invalid; the message names the parameter."""

    def __init__(self, param: str, message: str):
        super().__init__(message)
        self.param = param


@dataclass(frozen=True)
class PortSpec:
    """One input or output port.

    Attributes:
        name: port name used in project files (``in``, ``out``, ``in1``...).
        kind: what travels on the link: ``tensor``, ``pair`` (a (high, low) tuple) or
            ``octave`` (a pair, or a plain tensor where the block's alpha is 0: OctConv).
        optional: an input port that may stay unconnected.
    """

    name: str
    kind: str = "tensor"
    optional: bool = False


@dataclass(frozen=True)
class ParamSpec:
    """A typed parameter with default, range and help.

    ``kind`` is one of ``int``, ``float``, ``bool``, ``choice``, ``tuple`` (of ints) or
    ``str``. ``low``/``high`` bound numbers (and each tuple item); ``low_open``/``high_open``
    make a bound strict.
    """

    name: str
    kind: str
    default: Any
    help: str = ""
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    choices: tuple = ()
    length: tuple[int, int] | None = None  # allowed tuple lengths (min, max)

    def describe_range(self) -> str:
        """The accepted values in words, e.g. ``0 <= rate < 1``."""
        if self.kind == "choice":
            return f"{self.name} in {list(self.choices)}"
        if self.kind == "bool":
            return f"{self.name} true or false"
        parts = []
        if self.low is not None:
            parts.append(f"{_num(self.low)} {'<' if self.low_open else '<='} ")
        parts.append(self.name if self.kind != "tuple" else f"each item of {self.name}")
        if self.high is not None:
            parts.append(f" {'<' if self.high_open else '<='} {_num(self.high)}")
        text = "".join(parts)
        if self.kind == "tuple" and self.length:
            lo, hi = self.length
            n = f"{lo}" if lo == hi else f"{lo} to {hi}"
            text = f"{n} integers, {text}" if (self.low is not None or self.high is not None) else f"{n} integers"
        return text

    def validate(self, value: Any) -> Any:
        """Return ``value`` coerced to this parameter's type.

        Raises:
            ParamError: "Expected 0 <= rate < 1. Received: rate=1.5".
        """
        try:
            return self._coerce(value)
        except _Invalid:
            raise ParamError(self.name, f"Expected {self.describe_range()} ({self.kind}). "
                                        f"Received: {self.name}={_short(value)}") from None

    def _coerce(self, value: Any) -> Any:
        fail = _Invalid  # the message is built only when a value is refused (validation runs on every load)
        if self.kind == "bool":
            if isinstance(value, bool):
                return value
            raise fail
        if self.kind == "choice":
            if value in self.choices and isinstance(value, type(self.choices[0])):
                return value
            raise fail
        if self.kind == "str":
            if isinstance(value, str):
                return value
            raise fail
        if self.kind == "tuple":
            if not isinstance(value, (list, tuple)) or isinstance(value, str):
                raise fail
            if self.length and not self.length[0] <= len(value) <= self.length[1]:
                raise fail
            items = tuple(self._number(v, int, fail) for v in value)
            return items
        if self.kind == "int":
            return self._number(value, int, fail)
        if self.kind == "float":
            return self._number(value, float, fail)
        raise ValueError(f"unknown parameter kind {self.kind!r}")  # a bug in a spec

    def _number(self, value: Any, typ: type, fail: type[Exception]) -> Any:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise fail
        if typ is int:
            if isinstance(value, float) and not value.is_integer():
                raise fail
            value = int(value)
        else:
            try:
                value = float(value)
            except OverflowError:  # an int beyond float range
                raise fail from None
            if not math.isfinite(value):
                raise fail
        if self.low is not None and (value < self.low or (self.low_open and value == self.low)):
            raise fail
        if self.high is not None and (value > self.high or (self.high_open and value == self.high)):
            raise fail
        return value

    def to_json(self) -> dict:
        """A JSON-ready description (used by ``main.py blocks --json``)."""
        out: dict[str, Any] = {"name": self.name, "type": self.kind, "default": _jsonable(self.default),
                               "help": self.help}
        if self.low is not None or self.high is not None:
            out["range"] = {"min": self.low, "max": self.high,
                            "min_exclusive": self.low_open, "max_exclusive": self.high_open}
        if self.choices:
            out["choices"] = list(self.choices)
        if self.length:
            out["length"] = list(self.length)
        return out


@dataclass(frozen=True)
class Cost:
    """What one block costs: trainable+frozen weights, multiply-accumulates, output bytes.

    ``scratch_values``: working memory the inference kernel asks for while it runs, per
    sample (a convolution's im2col buffer); the device gauges add the largest to the RAM.
    """

    params: int = 0
    macs: int = 0
    activation_bytes: int = 0
    scratch_values: int = 0


@dataclass(frozen=True)
class TrainingHooks:
    """How a technique changes training rather than (or besides) the layer graph.

    A block returns one from ``BlockSpec.training(params)``; the compiler collects them
    and the trainer applies them. Every field is optional; all Keras imports happen
    inside the callables.

    Attributes:
        lr_schedule: ``(base_lr, steps_per_epoch, epochs) -> keras LearningRateSchedule``
            (a registered, serializable schedule updated every optimizer iteration;
            ``steps_per_epoch`` counts optimizer steps, i.e. batches x ``steps_per_batch``).
        augment: ``(x_batch, epoch, rng) -> x_batch`` applied to training batches only
            (numpy in, numpy out; ``epoch`` counts from 0).
        train_step: ``(model, default_step) -> step(data)`` replacing Keras's train step.
        epoch_divisor: the trainer runs ``ceil(epochs / epoch_divisor)`` epochs (free
            adversarial training replays each batch m times).
        steps_per_batch: optimizer steps the train step takes per batch (free adversarial
            training: m); learning-rate schedules are sized in optimizer steps.
        evaluate: ``(model, x, y) -> dict`` of extra test metrics (e.g. PGD accuracy).
    """

    lr_schedule: Callable | None = None
    augment: Callable | None = None
    train_step: Callable | None = None
    epoch_divisor: int = 1
    steps_per_batch: int = 1
    evaluate: Callable | None = None


@dataclass(frozen=True)
class ExportNote:
    """What an export format does with a block it cannot carry as it is.

    Attributes:
        level: ``note`` (exported, changed as the message says) or ``refuse`` (the
            format cannot carry the block: the export is refused before any work).
        message: one line for the user, e.g. "unrolled for TFLite: 8 steps".
    """

    level: str
    message: str


@dataclass(frozen=True)
class Compression:
    """How the compression engine may reshape a block (it asks blocks, never compares ids).

    Attributes:
        kernel: ``dense`` (one Keras layer with ``kernel`` (fan_in, units) and an optional
            ``bias``) or ``conv2d`` (``kernel`` (kh, kw, cin, cout)); such a block's
            ``width`` parameter sets its output channels, and a block of the same kind with
            params ``{width: r, activation: "linear", use_bias: False}`` (plus, for conv2d,
            ``kernel_size``/``strides``/``padding``/``dilation_rate``) is a valid node.
            Empty for blocks without such a kernel.
        width: the parameter giving the output channels (``units``, ``filters``) or "".
        channelwise: the block maps each channel of the last axis on its own: output
            channels = input channels and every weight is per channel on its last axis
            (BatchNorm, activations, pooling, dropout). Structured pruning passes through.
        flattens: a Flatten: channel c of a (h, w, C) input lands at positions k % C == c.
    """

    kernel: str = ""
    width: str = ""
    channelwise: bool = False
    flattens: bool = False


CHANNELWISE = Compression(channelwise=True)


@dataclass(frozen=True)
class KerasImport:
    """Which layers of a saved Keras model a block stands for (read by the model importer).

    Attributes:
        classes: Keras class names the block may stand for (``("Dense",)``, ``("OctConv2D",)``).
        params: ``(layer config) -> params`` for the block, or None when this config is not
            the block's (an ``Activation`` of a function the block does not compute). The
            importer fills ``activation`` itself when the block has that parameter, rebuilds
            the block's layer and compares configs: every option the block does not carry is
            reported, so the function only names what it maps.
        fallback: the block stands for any layer no other block maps, kept as it is
            (a partial import); ``params`` then receives ``{"class_name", "config",
            "input_shapes", "output_shape", "weights", "macs"}``.
    """

    classes: tuple[str, ...]
    params: Callable[[Mapping], dict | None]
    fallback: bool = False


#: Formats that run the model through the TFLite converter (the C header embeds a .tflite).
TFLITE_FORMATS = ("tflite", "c")


def _no_cost(params: Mapping, in_shapes: Sequence[Shape], out_shapes: Sequence[Shape]) -> Cost:
    return Cost(0, 0, sum(activation_bytes(s) for s in out_shapes))


@dataclass(frozen=True)
class BlockSpec:
    """Everything Sprout knows about one block (see DESIGN.md section 2).

    Attributes:
        infer_shape: ``(params, in_shapes) -> list of out shapes``; raises ShapeError.
        cost: ``(params, in_shapes, out_shapes) -> Cost``.
        build: ``(params, name) -> keras layer or callable``; imports Keras (and any
            custom layer from ``blocks.layers``) inside, never at module level.
        example_inputs: input shapes for the contract test (batch axis None).
        example_dtype: dtype of the contract-test inputs.
        stochastic: True when training and inference outputs must differ.
        role: what the engine does with the block: ``layer`` (built into the model),
            ``input`` (a model input: ``keras.Input`` from its ``shape`` and ``dtype``),
            ``output`` (a model output and its loss) or ``technique`` (no ports: it only
            changes training through ``training``). The engine asks for roles, never ids.
        training: ``(params) -> TrainingHooks`` for techniques that change training
            (schedules, data pipelines, train steps). A block with hooks and no ports is
            a standalone "training technique" node: saved in the project, not a layer.
        export_notes: ``(params, in_shapes, format) -> ExportNote | None``: what an export
            format (``keras``, ``tflite``, ``onnx``, ...) does with this block; None when
            it carries the block unchanged. Read by the export pre-flight.
        compression: what pruning, factorization and width scaling may do with the block
            (:class:`Compression`); None: the block is kept as it is.
        keras_import: which saved Keras layers the block stands for (:class:`KerasImport`);
            None: the importer never picks it.
        family: blocks of one family can stand in for each other in a graph (the
            experiments' "Try alternatives..."): ``activation``, ``conv2d``, ``pool2d``,
            ``regularizer``, ``normalization``, ``lstm``, ``gru``; "" for none.
    """

    id: str
    title: str
    category: str
    doc: str
    inputs: tuple[PortSpec, ...]
    outputs: tuple[PortSpec, ...]
    params: tuple[ParamSpec, ...]
    infer_shape: Callable[[Mapping, Sequence[Shape]], list]
    build: Callable[[Mapping, str], Any] | None
    cost: Callable[[Mapping, Sequence[Shape], Sequence[Shape]], Cost] = _no_cost
    example_inputs: tuple = ()
    example_dtype: str = "float32"
    stochastic: bool = False
    training: Callable[[Mapping], TrainingHooks] | None = None
    legacy_ids: tuple[str, ...] = ()
    pros: str = ""
    cons: str = ""
    reference: str = ""
    role: str = "layer"
    export_notes: Callable[[Mapping, Sequence[Shape], str], ExportNote | None] | None = None
    compression: Compression | None = None
    keras_import: KerasImport | None = None
    family: str = ""

    def __post_init__(self):
        if self.role not in ROLES:
            raise ValueError(f"block {self.id}: Expected role in {list(ROLES)}. Received: role={self.role!r}")
        portless = not self.inputs and not self.outputs
        if (self.role == "technique") != (portless and self.training is not None):
            raise ValueError(f"block {self.id}: a 'technique' has training hooks and no ports, and only it")

    def param(self, name: str) -> ParamSpec:
        """The spec of parameter ``name``; KeyError if the block has none."""
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)

    def defaults(self) -> dict:
        """Every parameter at its default value."""
        return {p.name: p.default for p in self.params}

    def validate_params(self, params: Mapping | None) -> dict:
        """Fill defaults, coerce and check every parameter.

        Raises:
            ParamError: for an unknown parameter or a value out of range.
        """
        params = dict(params or {})
        known = {p.name for p in self.params}
        unknown = sorted(set(params) - known)
        if unknown:
            raise ParamError(unknown[0], f"Unknown parameter {unknown[0]!r} for block {self.id}; "
                                         f"expected one of {sorted(known)}")
        return {p.name: p.validate(params.get(p.name, p.default)) for p in self.params}

    def input_names(self) -> list[str]:
        """Input port names in order."""
        return [p.name for p in self.inputs]

    def output_names(self) -> list[str]:
        """Output port names in order."""
        return [p.name for p in self.outputs]

    def to_json(self) -> dict:
        """A JSON-ready description of the block."""
        return {
            "id": self.id, "title": self.title, "category": self.category, "doc": self.doc,
            "inputs": [{"name": p.name, "kind": p.kind, "optional": p.optional} for p in self.inputs],
            "outputs": [{"name": p.name, "kind": p.kind} for p in self.outputs],
            "params": [p.to_json() for p in self.params],
            "legacy_ids": list(self.legacy_ids),
            "pros": self.pros, "cons": self.cons, "reference": self.reference,
        }


def activation_bytes(shape: Shape, bytes_per_item: int = 4) -> int:
    """Bytes of one sample of a float32 tensor of ``shape`` (batch axis excluded)."""
    n = 1
    for d in shape[1:]:
        n *= int(d or 0)
    return n * bytes_per_item


def _short(value: Any, limit: int = 40) -> str:
    """``repr(value)`` cut to one readable piece (a 400-digit integer would fill a screen)."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit - 10]}...({len(text)} characters)"


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def _jsonable(v: Any) -> Any:
    return list(v) if isinstance(v, tuple) else v
