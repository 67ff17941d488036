"""Cyclical learning rates (Smith, WACV 2017): the rate moves between two bounds every iteration.

A standalone training technique: the node has no ports. Its hook gives the trainer a
registered Keras ``LearningRateSchedule`` that replaces the project's constant rate. With
``it`` the optimizer's iteration (counting from 0) and ``step`` the half-cycle length:

    cycle = floor(1 + it / (2 * step))
    x     = |it / step - 2 * cycle + 1|
    lr    = base_lr + (max_lr - base_lr) * max(0, 1 - x) * scale

where ``scale`` is 1 ("triangular"), 1 / 2^(cycle - 1) ("triangular2": the amplitude
halves every cycle) or gamma^it ("exp_range": the amplitude decays every iteration).
"""
from __future__ import annotations

import math

from blocks.rules.techniques import CLR_MODES as MODES
from blocks.spec import BlockSpec, ParamError, ParamSpec, TrainingHooks


def half_cycle_steps(params, steps_per_epoch: int) -> int:
    """Iterations per half cycle: ``step_size``, or ``step_size_epochs`` epochs' worth when > 0.

    ``steps_per_epoch`` counts optimizer steps, not batches: with free adversarial
    training every batch is m steps, and the trainer passes batches x m.
    """
    if params["step_size_epochs"] > 0:
        return max(1, round(params["step_size_epochs"] * steps_per_epoch))
    return params["step_size"]


def cyclic_lr(params, it: int) -> float:
    """The schedule in plain Python (for tests and previews); ``params`` hold a step_size."""
    step = params["step_size"]
    cycle = math.floor(1 + it / (2 * step))
    x = abs(it / step - 2 * cycle + 1)
    scale = {"triangular": 1.0, "triangular2": 1 / 2 ** (cycle - 1),
             "exp_range": params["gamma"] ** it}[params["mode"]]
    return params["base_lr"] + (params["max_lr"] - params["base_lr"]) * max(0.0, 1 - x) * scale


def _check(params, in_shapes):
    # Runs on every edit (the analysis turns this into a diagnostic on the node).
    if params["max_lr"] < params["base_lr"]:
        raise ParamError("max_lr", "Expected max_lr >= base_lr. "
                                   f"Received: base_lr={params['base_lr']}, max_lr={params['max_lr']}")
    return []


def _training(params):
    def schedule(base_lr, steps_per_epoch, epochs):
        from blocks.layers.cyclic_lr import CyclicLR

        # The project's constant learning_rate is replaced: this node's bounds rule.
        return CyclicLR(params["base_lr"], params["max_lr"], half_cycle_steps(params, steps_per_epoch),
                        params["mode"], params["gamma"])
    return TrainingHooks(lr_schedule=schedule)


SPEC = BlockSpec(
    id="paper.cyclic_lr", role="technique", title="Cyclical learning rate", category="Paper techniques",
    doc="Cyclical learning rate (CLR): instead of a fixed or decaying rate, the learning rate "
        "rises linearly from base_lr to max_lr over step_size iterations and falls back over the "
        "next step_size, again and again (updated every iteration). 'triangular' keeps the bounds; "
        "'triangular2' halves the amplitude after each cycle; 'exp_range' shrinks it by gamma^iteration. "
        "Place the node anywhere on the canvas (it has no ports); it replaces the project's "
        "learning_rate. Pick the bounds with `python main.py lr-range PROJECT` (the LR range test): "
        "base_lr where the loss starts to fall, max_lr where it stops falling. The paper advises a "
        "half cycle of 2-10 epochs (set step_size_epochs) and stopping training at the end of a cycle, "
        "when the rate is back at base_lr.",
    inputs=(), outputs=(),
    params=(ParamSpec("mode", "choice", "triangular",
                      "'triangular': constant bounds; 'triangular2': amplitude halves every cycle; "
                      "'exp_range': amplitude times gamma^iteration.", choices=MODES),
            ParamSpec("base_lr", "float", 0.001, "Lower bound of the learning rate (start of each cycle).",
                      low=0.0, high=10.0),
            ParamSpec("max_lr", "float", 0.006, "Upper bound of the learning rate (middle of each cycle).",
                      low=0.0, high=10.0, low_open=True),
            ParamSpec("step_size", "int", 2000, "Iterations (optimizer steps: batches, or batches x m with "
                      "free adversarial training) per half cycle.", low=1, high=10_000_000),
            ParamSpec("step_size_epochs", "float", 0.0,
                      "Half cycle in epochs (2-10 in the paper); 0 uses step_size instead.", low=0.0, high=10_000.0),
            ParamSpec("gamma", "float", 0.99994, "Per-iteration decay of the amplitude in 'exp_range'.",
                      low=0.0, high=1.0, low_open=True)),
    infer_shape=_check, build=None, training=_training,
    pros="Reaches a given accuracy in fewer iterations (often far fewer) without tuning a decay "
         "schedule; no extra computation; the short range test replaces a learning-rate search. "
         "(The survey credits it with faster convergence; it is not in its Table 1.)",
    cons="Adds hyper-parameters (bounds, step size, policy); the best point is at the end of a "
         "cycle, so the epoch budget must fit whole cycles; gains are smaller with adaptive optimizers such as Adam.",
    reference="Smith, L. N. Cyclical Learning Rates for Training Neural Networks. IEEE Winter Conference "
              "on Applications of Computer Vision (WACV) 2017, 464-472 (arXiv:1506.01186, 2015).",
)
