"""The learning-rate range test (Smith, "Cyclical Learning Rates for Training Neural Networks", 2017).

Train from the initial weights for a few hundred iterations while the learning rate grows
from ``min_lr`` to ``max_lr`` (linearly, as in the paper, or exponentially), record the
loss of every batch, then put the weights back. Where the loss starts to fall is a good
``base_lr`` for a cyclical schedule, where it stops falling (or turns ragged) a good
``max_lr``.

A job (:mod:`engine.jobs`): :func:`lr_range_job` takes a project snapshot; ``on_progress``
receives an ``lr-range`` report after every iteration (``metrics``: ``lr``, ``loss``,
``smoothed``), and ``control`` is polled before every iteration.

How the suggestion is read from the curve (see :func:`suggest`):

* The loss of single batches is noisy, so every point also gets a smoothed loss: an
  exponential moving average with bias correction (``smoothing`` = 0.9 by default, so
  roughly the last ten batches). The run stops early once the smoothed loss exceeds
  ``divergence`` (4) times the lowest smoothed loss so far, or the loss is not finite.
* A moving average lags: at iteration i it is a weighted mean of losses centred
  ``lag(i)`` iterations earlier (``lag`` grows from 0 to beta / (1 - beta)), so every
  rate below is read at ``i - lag(i)``, the iteration the average really describes.
* ``max_lr``: the rate where the smoothed loss is lowest, i.e. where it stops decreasing
  (beyond it the loss rises or turns ragged).
* ``base_lr``: the rate where the smoothed loss has covered the first 10% of its total
  fall (from its first value to its lowest), i.e. where it starts decreasing clearly, but
  at most ``max_lr / 3``: the paper's rule of thumb puts base_lr at 1/3 to 1/4 of max_lr,
  and a cycle needs room between its bounds.
* No suggestion when the smoothed loss never fell by ``MIN_DROP`` (5%) of its first value.
"""
from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from engine import atomic
from engine.build.compiler import CompiledGraph
from engine.data.datasets import Dataset
from engine.errors import TrainingError
from engine.jobs import JobControl, Progress
from engine.model.project import ProjectSnapshot
from engine.train.config import TrainConfig
from engine.train.trainer import prepare_model

MODES = ("linear", "exponential")
START_FRACTION = 0.10  # share of the total fall that marks "the loss starts decreasing"
MIN_DROP = 0.05  # a fall smaller than this share of the first loss is noise, not learning
BASE_OVER_MAX = 1 / 3  # the paper's rule of thumb: base_lr is 1/3 to 1/4 of max_lr


@dataclass(frozen=True)
class RangePoint:
    """One iteration of the test."""

    iteration: int
    lr: float
    loss: float
    smoothed: float


@dataclass
class RangeResult:
    """The recorded curve, why it ended and the suggested bounds (None when there are none)."""

    points: list[RangePoint]
    stop_reason: str  # completed, diverged, stopped
    base_lr: float | None = None
    max_lr: float | None = None
    notes: list[str] = field(default_factory=list)

    def write_csv(self, path: str | Path) -> None:
        """Every point as ``iteration,lr,loss,smoothed_loss`` (written atomically)."""
        buf = io.StringIO(newline="")
        writer = csv.writer(buf)
        writer.writerow(["iteration", "lr", "loss", "smoothed_loss"])
        for p in self.points:
            writer.writerow([p.iteration, f"{p.lr:.8g}", f"{p.loss:.6g}", f"{p.smoothed:.6g}"])
        atomic.write_text(Path(path), buf.getvalue())

    def compact(self, rows: int = 20) -> list[RangePoint]:
        """About ``rows`` evenly spaced points (first and last included) for a terminal table."""
        if len(self.points) <= rows:
            return list(self.points)
        idx = np.unique(np.linspace(0, len(self.points) - 1, rows).round().astype(int))
        return [self.points[i] for i in idx]


def lr_schedule_points(min_lr: float, max_lr: float, steps: int, mode: str = "linear") -> np.ndarray:
    """The rate of every iteration: ``steps`` values from ``min_lr`` to ``max_lr``."""
    t = np.linspace(0.0, 1.0, steps)
    if mode == "exponential":
        return min_lr * (max_lr / min_lr) ** t
    return min_lr + (max_lr - min_lr) * t


def lr_range_test(compiled: CompiledGraph, dataset: Dataset, config: TrainConfig, min_lr: float, max_lr: float,
                  steps: int, on_progress: Callable[[Progress], None] | None = None,
                  control: JobControl | None = None, *, mode: str = "linear",
                  smoothing: float = 0.9, divergence: float = 4.0) -> RangeResult:
    """Run the LR range test on ``compiled.model`` and restore its initial weights.

    The model is compiled as for training (loss, optimizer of ``config``, custom train
    steps and augmentations of technique nodes), except that a technique's learning-rate
    schedule is left out: the test sets the rate itself. Batches of ``config.batch_size``
    are drawn in shuffled passes over the training split (seeded by ``config.seed``).

    Args:
        min_lr, max_lr: the range of rates, ``0 <= min_lr < max_lr`` (``min_lr > 0`` when exponential).
        steps: iterations (batches) over which the rate rises; at least 5.
        mode: ``linear`` (the paper's) or ``exponential`` (even coverage of several decades).
        smoothing: the moving average's beta, ``0 <= smoothing < 1``.
        divergence: stop once the smoothed loss exceeds this multiple of its lowest value.

    Raises:
        TrainingError: for bad arguments. DataError: when the data does not fit the model.
    """
    check_arguments(min_lr, max_lr, steps, mode, smoothing, divergence)
    import keras

    keras.utils.set_random_seed(config.seed)
    probe = replace(compiled, hooks=[(uid, replace(h, lr_schedule=None)) for uid, h in compiled.hooks])
    model = compiled.model
    own_step = model.__dict__.get("train_step")  # a technique's step, wrapped again by prepare_model
    prepare_model(probe, dataset, config)
    initial = model.get_weights()
    augments = [h.augment for _, h in compiled.hooks if h.augment is not None]
    rates = lr_schedule_points(min_lr, max_lr, steps, mode)
    batches = _batches(dataset, config)
    points: list[RangePoint] = []
    reason, avg, best = "completed", 0.0, math.inf
    try:
        for i, lr in enumerate(rates):
            if control is not None and control.should_stop():
                reason = "stopped"
                break
            epoch, x, y = next(batches)
            for augment in augments:
                x = augment(x, epoch, batches.rng)
            model.optimizer.learning_rate = float(lr)
            loss = float(model.train_on_batch(x, y, return_dict=True)["loss"])
            if not math.isfinite(loss):
                reason = "diverged"
                break
            avg = smoothing * avg + (1 - smoothing) * loss
            smoothed = avg / (1 - smoothing ** (i + 1))
            points.append(RangePoint(i, float(lr), loss, smoothed))
            if on_progress:
                on_progress(Progress("lr-range", i + 1, steps, f"iteration {i + 1}/{steps}",
                                     {"lr": float(lr), "loss": loss, "smoothed": smoothed}))
            best = min(best, smoothed)
            if smoothed > divergence * best:
                reason = "diverged"
                break
    finally:
        model.set_weights(initial)  # the test must leave no trace on the model
        model.optimizer.learning_rate = float(config.learning_rate)
        if own_step is None:
            model.__dict__.pop("train_step", None)  # a later train() wraps Keras's step, not ours
        else:
            model.train_step = own_step
    result = RangeResult(points, reason)
    suggest(result, smoothing)
    return result


@dataclass(frozen=True)
class RangeOptions:
    """The arguments of an LR range test run as a job (see :func:`lr_range_test`)."""

    min_lr: float = 1e-5
    max_lr: float = 1.0
    steps: int = 200
    mode: str = "linear"
    data: str | None = None
    seed: int | None = None
    batch_size: int | None = None
    registry: object = None


@dataclass
class RangeRun:
    """An LR range test's result plus what it ran with (for the report)."""

    result: RangeResult
    config: TrainConfig
    train_samples: int


def lr_range_job(snapshot: ProjectSnapshot, options: RangeOptions, on_progress: Callable[[Progress], None] | None = None,
                 control: JobControl | None = None) -> RangeRun:
    """The LR range test on a project snapshot: its data, its model at its initial weights.

    Raises:
        TrainingError: bad arguments (before any slow work). DataError, CompileError: as for training.
    """
    check_arguments(options.min_lr, options.max_lr, options.steps, options.mode)
    import keras

    from blocks.registry import default_registry
    from engine.build.compiler import compile_document
    from engine.train.workflow import load_data, plan_run

    project = snapshot.load(options.registry or default_registry())
    plan = plan_run(project, data=options.data, seed=options.seed, batch_size=options.batch_size)
    dataset = load_data(plan)
    keras.utils.set_random_seed(plan.train_config.seed)
    compiled = compile_document(project.document)
    result = lr_range_test(compiled, dataset, plan.train_config, options.min_lr, options.max_lr, options.steps,
                           on_progress, control, mode=options.mode)
    return RangeRun(result, plan.train_config, len(dataset.x_train))


def suggest(result: RangeResult, smoothing: float = 0.9) -> RangeResult:
    """Fill ``base_lr``, ``max_lr`` and ``notes`` of ``result`` by the rule in the module docstring."""
    pts = result.points
    if len(pts) < 3:
        result.notes.append("too few iterations to read a suggestion; raise --steps")
        return result
    s = np.array([p.smoothed for p in pts])
    lrs = np.array([p.lr for p in pts])
    first, low = s[0], float(s.min())
    i_min = int(s.argmin())
    if first - low < MIN_DROP * abs(first):
        result.notes.append("the loss did not decrease: try a higher --max-lr or more --steps")
        return result

    def at(i: int) -> float:
        return float(lrs[max(0, i - round(_lag(i, smoothing)))])

    result.max_lr = at(i_min)
    start = int(np.argmax(s <= first - START_FRACTION * (first - low)))
    result.base_lr = min(at(start), result.max_lr * BASE_OVER_MAX)
    if i_min == len(pts) - 1 and result.stop_reason == "completed":
        result.notes.append("the loss was still falling at the last iteration: max_lr may be higher; "
                            "try a higher --max-lr")
    return result


def _lag(i: int, beta: float) -> float:
    """Mean age (in iterations) of the losses in the bias-corrected average at iteration ``i``."""
    if beta == 0:
        return 0.0
    k = np.arange(i + 1)
    w = beta ** k
    return float((k * w).sum() / w.sum())


class _Batches:
    """Endless shuffled passes over the training split in full batches; ``next`` gives (pass, x, y)."""

    def __init__(self, dataset: Dataset, config: TrainConfig):
        self.x, self.y = dataset.x_train, dataset.y_train
        self.size = min(config.batch_size, len(self.x))
        self.rng = np.random.default_rng(config.seed)
        self.epoch, self._order = -1, np.array([], dtype=int)

    def __iter__(self):
        return self

    def __next__(self):
        if len(self._order) < self.size:  # full batches only: one traced train step
            self.epoch += 1
            self._order = self.rng.permutation(len(self.x))
        take, self._order = self._order[:self.size], self._order[self.size:]
        return self.epoch, self.x[take], self.y[take]


def _batches(dataset: Dataset, config: TrainConfig) -> _Batches:
    if len(dataset.x_train) == 0:
        raise TrainingError(f"{dataset.name} has no training samples for the LR range test")
    return _Batches(dataset, config)


def check_arguments(min_lr: float, max_lr: float, steps: int, mode: str = "linear", smoothing: float = 0.9,
                    divergence: float = 4.0) -> None:
    """Raise TrainingError (one line, naming the argument) unless the test can run with these."""
    if mode not in MODES:
        raise TrainingError(f"Expected mode in {list(MODES)}. Received: mode={mode!r}")
    low_ok = min_lr > 0 if mode == "exponential" else min_lr >= 0
    if not (math.isfinite(min_lr) and math.isfinite(max_lr) and low_ok and min_lr < max_lr <= 100):
        bound = "0 < min_lr" if mode == "exponential" else "0 <= min_lr"
        raise TrainingError(f"Expected {bound} < max_lr <= 100. Received: min_lr={min_lr}, max_lr={max_lr}")
    if isinstance(steps, bool) or not isinstance(steps, int) or not 5 <= steps <= 1_000_000:
        raise TrainingError(f"Expected 5 <= steps <= 1000000. Received: steps={steps!r}")
    if not 0 <= smoothing < 1:
        raise TrainingError(f"Expected 0 <= smoothing < 1. Received: smoothing={smoothing}")
    if not divergence > 1:
        raise TrainingError(f"Expected divergence > 1. Received: divergence={divergence}")
