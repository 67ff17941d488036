"""Swapout: Y = T1 * X + T2 * F(X) with two independent per-unit Bernoulli masks.

Singh, Hoiem & Forsyth (NeurIPS 2016), equation (4): every unit of the output
independently keeps or drops the skip path X (mask T1, keep probability theta1) and the
residual path F(X) (mask T2, keep probability theta2), so each unit is one of 0, X, F(X)
or X + F(X). The masks are per element (not per channel, not shared), and training does
not rescale the kept values. At inference the paper compares two modes: "deterministic"
replaces each mask by its expectation (theta1 * X + theta2 * F(X)); "stochastic" keeps
sampling and averages several forward passes (:func:`stochastic_average`), which the
paper found better. A keep probability may be 0, for the paper's special cases:
(theta1, theta2) = (1, 0) is the skip path alone (Y = X), (0, 1) a plain feed-forward
layer (Y = F(X)) and (0, theta) dropout on F(X) without rescaling. The linear depth schedule it recommends lives in
``blocks.rules.swapout``.

Cost: two multiply-accumulates per output value (theta1 * X, then + theta2 * F(X)).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from blocks.rules.keras_import import standing_for
from blocks.rules.params import OUT
from blocks.rules.shapes import elements, fmt, same_shapes, simple_cost
from blocks.rules.techniques import SWAPOUT_INFERENCE_MODES as INFERENCE_MODES
from blocks.spec import BlockSpec, ExportNote, ParamSpec, PortSpec, ShapeError

MACS_PER_ELEMENT = 2
DEFAULT_PASSES = 30  # the number of sampled passes averaged in the paper's reference code


def stochastic_average(predict_fn: Callable[[Any], Any], x: Any, n: int = DEFAULT_PASSES):
    """Average ``n`` sampled forward passes (the paper's stochastic inference).

    Use it with a model whose Swapout blocks have ``inference="stochastic"``; with
    deterministic blocks every pass is the same and the average is that pass.

    Args:
        predict_fn: called as ``predict_fn(x)``; returns an array or a list/tuple of
            arrays (one per model output), e.g. ``model.predict`` or ``model``.
        x: the model input(s), passed through unchanged.
        n: number of passes, at least 1.

    Returns:
        A NumPy array (or a list of them, one per output) holding the mean prediction.

    Raises:
        ValueError: when ``n`` is below 1.
    """
    if int(n) != n or n < 1:
        raise ValueError(f"Expected n >= 1 passes. Received: n={n!r}")
    total = None
    for _ in range(int(n)):
        out = predict_fn(x)
        parts = [np.asarray(o, dtype=np.float64) for o in out] if isinstance(out, (list, tuple)) \
            else [np.asarray(out, dtype=np.float64)]
        total = parts if total is None else [t + p for t, p in zip(total, parts, strict=True)]
    means = [t / n for t in total]
    return means if isinstance(out, (list, tuple)) else means[0]


def _shape(params, in_shapes):
    if len(in_shapes) != 2:
        raise ShapeError(f"Swapout needs two inputs, X and F(X). Received {len(in_shapes)}: "
                         + ", ".join(fmt(s) for s in in_shapes))
    return [same_shapes(in_shapes, "Swapout (X and F(X))")]


def _build(params, name):
    from blocks.layers.swapout import Swapout

    return Swapout(keep_x=params["keep_x"], keep_fx=params["keep_fx"], inference=params["inference"], name=name)


def _export_notes(params, in_shapes, fmt):
    """Random masks at inference have no TFLite op and make every checked format disagree
    with itself, so every format but the Keras files carries the expected value."""
    if params["inference"] != "stochastic" or fmt in ("keras", "h5", "python"):
        return None
    return ExportNote("note", "stochastic inference is exported deterministic (keep_x*X + keep_fx*F(X)); "
                              "average sampled passes only with the .keras file")


def _keep_param(name: str, path: str) -> ParamSpec:
    return ParamSpec(name, "float", 0.75,
                     f"Probability that a unit keeps {path} (theta in the paper); 1 always keeps it, "
                     "0 always drops it. Use the linear depth schedule: 1 at the first block down to "
                     "0.5 at the last.",
                     low=0.0, high=1.0)


SPEC = BlockSpec(
    id="paper.swapout", title="Swapout", category="Paper techniques",
    doc="Swapout (stochastic residual merge): Y = T1*X + T2*F(X). Connect the block input X "
        "to 'x' and the residual branch F(X) to 'fx' (they must have one shape) and use it in "
        "place of the Add of a residual block. While training, every unit independently keeps "
        "X with probability keep_x and F(X) with probability keep_fx, so a unit becomes 0, X, "
        "F(X) or X+F(X): dropout and stochastic depth in one, sampling a different "
        "architecture per step. No rescaling while training. At inference 'deterministic' "
        "uses keep_x*X + keep_fx*F(X); 'stochastic' keeps sampling so you can average many "
        "passes (blocks.paper.swapout.stochastic_average, 30 passes), which the paper found "
        "more accurate. With keep_x = keep_fx = 1 it is exactly Add; keep_x = 1, keep_fx = 0 "
        "passes X alone; keep_x = 0, keep_fx = 1 passes F(X) alone (a plain layer); keep_x = 0 "
        "with keep_fx < 1 is dropout on F(X). Give early blocks high keep probabilities and "
        "later ones lower (blocks.rules.swapout: linear from 1 to 0.5). Costs 2 "
        "multiply-accumulates per value.",
    inputs=(PortSpec("x"), PortSpec("fx")), outputs=OUT,
    params=(_keep_param("keep_x", "the skip input X"),
            _keep_param("keep_fx", "the residual input F(X)"),
            ParamSpec("inference", "choice", "deterministic",
                      "'deterministic': use the expected value keep_x*X + keep_fx*F(X); "
                      "'stochastic': sample masks at inference too and average several passes.",
                      choices=INFERENCE_MODES)),
    infer_shape=_shape,
    cost=lambda p, i, o: simple_cost(0, MACS_PER_ELEMENT * elements(o[0]), o),
    build=_build, example_inputs=((None, 6, 6, 4), (None, 6, 6, 4)), stochastic=True,
    export_notes=_export_notes,
    pros="Prevents co-adaptation both between units (like dropout) and across layers (like "
         "stochastic depth); trains an ensemble of architectures that share weights, so "
         "fairly shallow swapout networks can match much deeper ResNets.",
    cons="The drop schedule needs testing and tuning (the linear schedule helps most); "
         "stochastic inference needs many forward passes per prediction.",
    reference="Singh, S., Hoiem, D., Forsyth, D. Swapout: Learning an Ensemble of Deep "
              "Architectures. Advances in Neural Information Processing Systems 29 (NeurIPS), 2016.",
    keras_import=standing_for("Swapout", names=("keep_x", "keep_fx", "inference")),
)
