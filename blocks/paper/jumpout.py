"""Jumpout: dropout for ReLU layers with a sampled, activity-normalized rate.

Wang, Zhou & Bilmes (ICML 2019), Section 3 and Algorithm 1 ("Jumpout layer for DNN with
ReLU"), make three changes to dropout, applied while training only:

1. Monotone rate (Sec. 3.1): each step draws the rate from the right half of a Gaussian,
   p = min(p_min + |n|, p_max) with n ~ N(0, sigma^2), so small rates are the most likely
   and each local linear piece is trained mostly on nearby points.
2. Rate normalization (Sec. 3.2): dropping an already inactive ReLU unit (value 0) changes
   nothing, so plain dropout with rate p only deactivates a fraction p * q+ of a layer
   whose fraction of active units is q+. Jumpout drops with p' = p / q+, so the expected
   fraction of the layer's units switched off by dropout is exactly the sampled p (and
   each active unit is dropped with probability p / q+). The paper computes q+ per layer
   and per training batch (ICML abstract and Algorithm 1; the ICLR 2019 version also
   allows per sample), so ``normalize="batch"`` is the default and ``"sample"`` draws p
   and counts q+ for every sample separately.
3. Rescaling (Sec. 3.3): kept units are multiplied by (1 - p')^(-0.75) instead of
   dropout's (1 - p')^(-1): -1 keeps the mean and -0.5 keeps the variance consistent
   between training and test; -0.75 is the paper's trade-off (better with batch norm).

At inference it is the identity. Two safeguards are ours, not the paper's: p' is capped
at MAX_RATE (0.9) so the rescale stays finite in very sparse layers, and a batch (or
sample) with no active unit uses p unnormalized.
"""
from __future__ import annotations

from blocks.rules.keras_import import standing_for
from blocks.rules.params import IN, OUT
from blocks.rules.shapes import min_rank, one_input, simple_cost
from blocks.rules.techniques import JUMPOUT_NORMALIZE as NORMALIZE
from blocks.spec import BlockSpec, ParamError, ParamSpec


def _shape(params, in_shapes):
    if params["p_min"] > params["p_max"]:
        raise ParamError("p_min", f"Expected p_min <= p_max. Received: p_min={params['p_min']}, "
                                  f"p_max={params['p_max']}")
    shape = one_input(in_shapes)
    min_rank(shape, 2, "at least (batch, features)")
    return [shape]


def _build(params, name):
    from blocks.layers.jumpout import JumpOut

    return JumpOut(sigma=params["sigma"], p_min=params["p_min"], p_max=params["p_max"],
                   normalize=params["normalize"], name=name)


SPEC = BlockSpec(
    id="paper.jumpout", family="regularizer", title="JumpOut", category="Paper techniques",
    doc="Jumpout: an improved Dropout for layers after a ReLU; identity at inference. While "
        "training it (1) draws a new drop rate p every step from a half-Gaussian (most often "
        "small): p = min(p_min + |N(0, sigma)|, p_max); (2) divides p by the fraction of "
        "active (positive) units, per batch or per sample, so p is the share of the layer that "
        "dropout really switches off however sparse the ReLU output is; (3) scales the kept "
        "units by (1 - p')^-0.75 instead of 1/(1 - p'), keeping mean and variance closer "
        "between training and test (better with batch normalization). Put it where you would "
        "put Dropout, right after a ReLU activation. No weights; no cost at inference.",
    inputs=IN, outputs=OUT,
    params=(ParamSpec("sigma", "float", 0.1, "Standard deviation of the half-Gaussian the drop rate is drawn from.",
                      low=0.0, high=1.0, low_open=True),
            ParamSpec("p_min", "float", 0.0, "Smallest drop rate drawn.", low=0.0, high=1.0, high_open=True),
            ParamSpec("p_max", "float", 0.6, "Largest drop rate drawn (at least p_min).",
                      low=0.0, high=1.0, high_open=True),
            ParamSpec("normalize", "choice", "batch",
                      "Count active units over the whole batch (the paper's choice) or per sample.",
                      choices=NORMALIZE)),
    infer_shape=_shape, cost=lambda p, i, o: simple_cost(0, 0, o), build=_build,
    example_inputs=((None, 32),), stochastic=True,
    pros="Better generalization than dropout at negligible extra compute and memory; one "
         "setting works across layers of different sparsity; can be combined with other "
         "dropout variants and with batch normalization.",
    cons="Designed for ReLU networks (the active-unit count assumes zeros mean inactive); "
         "adds hyperparameters (sigma, p_min, p_max) and is less widely tested than dropout.",
    reference="Wang, S., Zhou, T., Bilmes, J. Jumpout: Improved Dropout for Deep Neural "
              "Networks with ReLUs. International Conference on Machine Learning (ICML), 2019.",
    keras_import=standing_for("JumpOut", names=("sigma", "p_min", "p_max", "normalize")),
)
