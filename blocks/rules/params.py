"""Parameter specs and port tuples that many standard blocks share."""
from __future__ import annotations

from blocks.spec import ParamSpec, PortSpec

ACTIVATIONS = ("linear", "relu", "relu6", "sigmoid", "tanh", "softmax", "gelu", "elu", "selu", "leaky_relu")

IN = (PortSpec("in"),)
OUT = (PortSpec("out"),)
MERGE_IN = (PortSpec("in1"), PortSpec("in2"), PortSpec("in3", optional=True), PortSpec("in4", optional=True))


def activation_param(default: str = "linear") -> ParamSpec:
    """The ``activation`` parameter (``linear`` means none)."""
    return ParamSpec("activation", "choice", default, "Activation applied to the output.", choices=ACTIVATIONS)


def keras_activation(name: str) -> str | None:
    """Our activation name as Keras expects it."""
    return None if name == "linear" else name


def padding_param() -> ParamSpec:
    """``valid`` (no padding, the output shrinks) or ``same`` (output size = input / stride)."""
    return ParamSpec("padding", "choice", "valid",
                     "'valid': no padding, the output shrinks; 'same': output size = input size / stride.",
                     choices=("valid", "same"))


def pair_param(name: str, default: tuple[int, int], help: str, low: int = 1) -> ParamSpec:
    """A (height, width) pair of positive integers."""
    return ParamSpec(name, "tuple", default, help, low=low, high=64, length=(2, 2))


def use_bias_param() -> ParamSpec:
    """Whether the layer adds a learned bias."""
    return ParamSpec("use_bias", "bool", True, "Add a learned bias per output channel.")
