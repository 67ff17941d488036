"""Choices that a paper block's parameters offer and its Keras layer checks: one definition each.

Block modules import this at module level (no Keras); the layers in ``blocks/layers/``
import it to validate configs built outside a block (e.g. a hand-written model).
"""
from __future__ import annotations

# paper.swish: how beta is held.
SWISH_MODES = ("fixed", "scalar", "per_channel")
# paper.swapout: what inference does with the masks (their expectation, or keep sampling).
SWAPOUT_INFERENCE_MODES = ("deterministic", "stochastic")
# paper.jumpout: where the active fraction q+ is counted.
JUMPOUT_NORMALIZE = ("batch", "sample")
# paper.cyclic_lr: the amplitude policy.
CLR_MODES = ("triangular", "triangular2", "exp_range")
