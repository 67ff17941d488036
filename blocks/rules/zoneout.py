"""Zoneout (Krueger et al., ICLR 2017): the help text and rate parameter both zoneout blocks share.

Pure Python, so the block modules import it at module level; the Keras layers live in
``blocks/layers/zoneout.py``.
"""
from __future__ import annotations

from blocks.spec import ParamSpec

# Help text shared by both blocks (pros and cons after the survey's Table 1).
REFERENCE = ("Krueger, Maharaj, Kramár, Pezeshki, Ballas, Ke, Goyal, Bengio, Courville and Pal: "
             "'Zoneout: Regularizing RNNs by Randomly Preserving Hidden Activations', ICLR 2017 "
             "(arXiv 1606.01305).")
PROS = ("Regularizes the recurrent transition without erasing memory: a zoned-out unit passes "
        "its value (and its gradient) straight through the step, so information and gradients "
        "travel further back in time than with dropout; robust to perturbations of the hidden "
        "state. No extra weights.")
CONS = ("Two more rates to tune (cell and hidden state behave very differently); gains are "
        "reported on RNNs only (not an idea for ResNets), and variants such as GRUs have been "
        "tested much less than LSTMs. Slower than Keras's fused LSTM kernel.")


def rate_param(name: str, default: float, what: str) -> ParamSpec:
    """A zoneout probability in [0, 1] (1 freezes the state at its initial value)."""
    return ParamSpec(name, "float", default,
                     f"Probability that a unit of the {what} keeps its previous value at a step "
                     "while training (inference uses the expected blend). 0 = a plain layer.",
                     low=0.0, high=1.0)


def check_rate(name: str, value: float) -> float:
    """``value`` as a float in [0, 1] (the layers' own check, for configs built outside a block).

    Raises:
        ValueError: "Expected 0 <= zoneout_cell <= 1. Received: zoneout_cell=1.5".
    """
    value = float(value)
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"Expected 0 <= {name} <= 1. Received: {name}={value}")
    return value
