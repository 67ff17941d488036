"""The cyclical learning-rate schedule (Smith, WACV 2017; block ``paper.cyclic_lr``).

The formula and a plain-Python twin (``cyclic_lr``) are in ``blocks/paper/cyclic_lr.py``.
"""
from __future__ import annotations

import math

import keras
from keras import ops

from blocks.rules.techniques import CLR_MODES


@keras.saving.register_keras_serializable(package="sprout")
class CyclicLR(keras.optimizers.schedules.LearningRateSchedule):
    """A triangular learning-rate cycle between ``base_lr`` and ``max_lr``.

    Args:
        base_lr, max_lr: the bounds, 0 <= base_lr <= max_lr.
        step_size: iterations per half cycle, at least 1.
        mode: ``triangular``, ``triangular2`` or ``exp_range``.
        gamma: per-iteration amplitude decay of ``exp_range``.
        name: the schedule's name.
    """

    def __init__(self, base_lr=0.001, max_lr=0.006, step_size=2000, mode="triangular", gamma=1.0,
                 name="CyclicLR"):
        if mode not in CLR_MODES:
            raise ValueError(f"Expected mode in {list(CLR_MODES)}. Received: mode={mode!r}")
        if not 0 <= base_lr <= max_lr:
            raise ValueError(f"Expected 0 <= base_lr <= max_lr. Received: base_lr={base_lr}, max_lr={max_lr}")
        if step_size < 1:
            raise ValueError(f"Expected step_size >= 1. Received: step_size={step_size}")
        self.base_lr, self.max_lr = float(base_lr), float(max_lr)
        self.step_size, self.mode, self.gamma, self.name = int(step_size), mode, float(gamma), name

    def __call__(self, step):
        it = ops.cast(step, "float32")
        half = float(self.step_size)
        cycle = ops.floor(1.0 + it / (2.0 * half))
        x = ops.abs(it / half - 2.0 * cycle + 1.0)
        if self.mode == "triangular":
            scale = 1.0
        elif self.mode == "triangular2":
            scale = ops.power(2.0, 1.0 - cycle)
        else:
            # gamma^it as exp(it * log(gamma)): a float32 gamma raised to thousands drifts.
            scale = ops.exp(it * math.log(self.gamma)) if self.gamma > 0 else ops.zeros_like(it)
        return self.base_lr + (self.max_lr - self.base_lr) * ops.maximum(0.0, 1.0 - x) * scale

    def get_config(self):
        return {"base_lr": self.base_lr, "max_lr": self.max_lr, "step_size": self.step_size,
                "mode": self.mode, "gamma": self.gamma, "name": self.name}
