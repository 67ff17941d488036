"""Training: a plain engine function, ``train(compiled, dataset, config, on_progress, control)``.

It knows nothing of Qt or files: the GUI runs it as a job on its worker, the CLI under a
progress bar, and ``engine.runs`` writes what it returns into a run folder. Batches run
in blocks, one graph call each (``engine.train.execution``, lengths measured on the run by
``engine.train.calibrate``); stopping ends after the current block (at most
``steps_per_execution`` batches); a NaN loss stops the run and restores the best weights
seen so far.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np

from blocks.spec import BlockError
from engine.build.compiler import CompiledGraph
from engine.data.datasets import Dataset
from engine.errors import DataError, TrainingError
from engine.jobs import JobControl, Progress
from engine.train.calibrate import BlockPlan, ExecutionCache, ExecutionSettings, can_jit, signature
from engine.train.config import TrainConfig, make_optimizer
from engine.train.feed import Evaluator, training_dataset
from engine.train.monitor import RunMonitor


@dataclass
class TrainResult:
    """How a run ended and what it measured."""

    history: list[dict]
    stop_reason: str  # completed, stopped, nan_loss, early_stopping
    epochs_run: int
    best_epoch: int | None
    metrics: dict = field(default_factory=dict)  # {"train": {...}, "val": {...}, "test": {...}}
    message: str = ""
    last_weights: list | None = field(default=None, repr=False)  # weights after the last step (None after NaN)
    execution: ExecutionSettings | None = None  # how the run executed (None: not trained here, e.g. imported)


def _single_hook(compiled: CompiledGraph, attr: str):
    """The one technique node providing ``attr`` (two are ambiguous), or None."""
    found = [(uid, getattr(h, attr)) for uid, h in compiled.hooks if getattr(h, attr, None) is not None]
    if len(found) > 1:
        raise TrainingError(f"nodes {', '.join(u for u, _ in found)} each set the {attr.replace('_', ' ')}; "
                            "keep only one of them")
    return found[0][1] if found else None


def _named_augment(uid: str, fn):
    """An augment whose failures become one-line TrainingErrors naming its node."""
    def run(x, epoch, rng):
        try:
            return fn(x, epoch, rng)
        except (ValueError, TypeError, BlockError) as exc:
            raise TrainingError(f"node {uid}: {exc}") from None
    return run


def effective_epochs(compiled: CompiledGraph, config: TrainConfig) -> int:
    """Epochs actually run: divided by a technique's ``epoch_divisor`` (free adversarial)."""
    divisor = max([h.epoch_divisor for _, h in compiled.hooks] + [1])
    return max(1, math.ceil(config.epochs / divisor))


def optimizer_steps_per_batch(compiled: CompiledGraph) -> int:
    """Optimizer steps the train step takes per minibatch (free adversarial training: m).

    A learning-rate schedule counts optimizer iterations, so it is sized in these steps
    (epochs x batches x replays, as the free adversarial training reference code does).
    """
    return max([h.steps_per_batch for _, h in compiled.hooks] + [1])


def prepare_model(compiled: CompiledGraph, dataset: Dataset, config: TrainConfig) -> None:
    """Check data against the model and compile it with loss, optimizer and metrics.

    Technique blocks apply here: a learning-rate schedule replaces the constant rate and
    a custom train step replaces Keras's.

    Raises:
        DataError: when the data does not fit the model's input or output.
    """
    import keras

    model = compiled.model
    if len(compiled.inputs) != 1 or len(compiled.outputs) != 1:
        raise DataError(f"training on {dataset.name} needs a model with one Input and one Output; "
                        f"this one has {len(compiled.inputs)} and {len(compiled.outputs)}")
    want = tuple(model.inputs[0].shape[1:])
    if tuple(dataset.input_shape) != want:
        if int(np.prod(want)) == int(np.prod(dataset.input_shape)):
            for attr in ("x_train", "x_val", "x_test"):
                arr = getattr(dataset, attr)
                setattr(dataset, attr, arr.reshape((len(arr), *want)))
        else:
            raise DataError(f"Input {compiled.inputs[0]} expects samples of shape {want}, but {dataset.name} "
                            f"has {dataset.input_shape}; set the Input's shape to {dataset.input_shape}")
    out = compiled.outputs[0]
    loss = out.loss
    if loss == "auto":
        loss = "sparse_categorical_crossentropy" if dataset.task == "classification" else "mse"
    if loss == "sparse_categorical_crossentropy" and out.shape[-1] != dataset.num_classes:
        raise DataError(f"Output {out.uid} gives {out.shape[-1]} values per sample but {dataset.name} has "
                        f"{dataset.num_classes} classes; set the last Dense to {dataset.num_classes} units")
    losses = {
        "sparse_categorical_crossentropy": lambda: keras.losses.SparseCategoricalCrossentropy(from_logits=out.from_logits),
        "categorical_crossentropy": lambda: keras.losses.CategoricalCrossentropy(from_logits=out.from_logits),
        "binary_crossentropy": lambda: keras.losses.BinaryCrossentropy(from_logits=out.from_logits),
        "mse": lambda: keras.losses.MeanSquaredError(),
        "mae": lambda: keras.losses.MeanAbsoluteError(),
    }
    metrics = ["accuracy"] if dataset.task == "classification" else []
    schedule = _single_hook(compiled, "lr_schedule")
    # Iterations per epoch as the optimizer counts them (a free adversarial batch is m steps).
    steps = max(1, math.ceil(len(dataset.x_train) / config.batch_size)) * optimizer_steps_per_batch(compiled)
    lr = schedule(config.learning_rate, steps, effective_epochs(compiled, config)) if schedule else None
    model.compile(optimizer=make_optimizer(config, lr), loss=losses[loss](), metrics=metrics)
    step = _single_hook(compiled, "train_step")
    default = model.__dict__.setdefault("_sprout_default_step", model.train_step)  # never wrap a wrapper
    try:
        model.train_step = step(model, default) if step is not None else default  # make_train_function() uses it
    except BlockError as exc:
        raise TrainingError(str(exc)) from None


def block_plan(compiled: CompiledGraph, dataset: Dataset, config: TrainConfig,
               execution: ExecutionSettings | ExecutionCache | None = None) -> tuple[BlockPlan, str | None]:
    """The run's block plan and, when its choice should be cached, the cache key.

    Fixed values in ``config`` always win. ``"auto"`` ones come from given settings, from
    the cache's entry for this model's signature, or are measured on the run (stored in
    the cache afterwards, when one is given). Models with a custom train step keep XLA
    off under ``"auto"`` (see ``calibrate.can_jit``).
    """
    batches = max(1, math.ceil(len(dataset.x_train) / config.batch_size))
    fixed_spe = None if config.steps_per_execution == "auto" else int(config.steps_per_execution)
    fixed_jit = None if config.jit_compile == "auto" else bool(config.jit_compile)
    try_jit = can_jit(compiled.hooks)
    if isinstance(execution, ExecutionSettings):
        return BlockPlan(fixed_spe or execution.steps_per_execution,
                         execution.jit_compile if fixed_jit is None else fixed_jit), None
    key = None
    if isinstance(execution, ExecutionCache) and (fixed_spe is None or (fixed_jit is None and try_jit)):
        sig = signature(compiled.model, compiled.hooks, config.batch_size, dataset.input_shape,
                        len(dataset.x_train), config.optimizer)
        key = f"{sig}|spe={config.steps_per_execution}|jit={config.jit_compile}"
        hit = execution.get(key)
        if hit is not None:
            plan = BlockPlan(hit.steps_per_execution, hit.jit_compile)
            plan.source, plan.timings = "cached", dict(hit.timings)
            return plan, None
    return BlockPlan(fixed_spe, fixed_jit, try_jit, batches), key


def train(compiled: CompiledGraph, dataset: Dataset, config: TrainConfig,
          on_progress: Callable[[Progress], None] | None = None,
          control: JobControl | None = None,
          execution: ExecutionSettings | ExecutionCache | None = None) -> TrainResult:
    """Train ``compiled.model`` on ``dataset``; the model ends with its best weights.

    Args:
        on_progress: receives a ``train`` report after every execution block (one or
            more batches; its ``batch`` is the block's last) and an ``epoch`` milestone
            after every epoch (on the training thread).
        control: polled before every execution block; a stop ends training after the
            running block (at most ``steps_per_execution`` batches), a pause holds it there.
        execution: settings, or a cache for ``"auto"`` ones (see ``block_plan``).

    Returns:
        The result; ``last_weights`` holds the weights after the last step (for
        ``last.keras``), None when the run diverged.
    """
    import keras

    keras.utils.set_random_seed(config.seed)
    prepare_model(compiled, dataset, config)
    model = compiled.model
    epochs = effective_epochs(compiled, config)
    plan, cache_key = block_plan(compiled, dataset, config, execution)
    evaluator = Evaluator(model, config.batch_size)
    validate = None
    if len(dataset.x_val):
        def validate(_model):
            return {f"val_{k}": v for k, v in evaluator("val", dataset.x_val, dataset.y_val).items()}
    monitor = RunMonitor(replace(config, epochs=epochs), len(dataset.x_train), on_progress, control, plan, validate)
    augments = [_named_augment(uid, h.augment) for uid, h in compiled.hooks if h.augment is not None]
    if augments:
        from engine.train.augmented import augmented_batches

        data = {"x": augmented_batches(dataset.x_train, dataset.y_train, config.batch_size, augments,
                                       config.seed, lambda: monitor.epoch)}
    else:
        data = {"x": training_dataset(dataset.x_train, dataset.y_train, config.batch_size, config.seed),
                "steps_per_epoch": monitor.batches, "shuffle": False}  # shuffled by the dataset, per epoch
    model.fit(**data, epochs=epochs, verbose=0, callbacks=[monitor.keras_callback()])
    settings = plan.settings()
    if cache_key is not None and settings.source == "calibrated":
        execution.put(cache_key, settings)
    last = model.get_weights() if monitor.reason != "nan_loss" else None
    if monitor.best_weights is not None:
        model.set_weights(monitor.best_weights)  # the model leaves training with its best weights
    result = TrainResult(monitor.history, monitor.reason, len(monitor.history), monitor.best_epoch,
                         message=monitor.message, last_weights=last, execution=settings)
    if monitor.reason != "nan_loss" or monitor.best_weights is not None:
        result.metrics = evaluate(model, dataset, config.batch_size, evaluator)
        for _, hooks in compiled.hooks:
            if hooks.evaluate is not None and len(dataset.x_test):
                result.metrics.setdefault("test", {}).update(hooks.evaluate(model, dataset.x_test, dataset.y_test))
    return result


def evaluate(model, dataset: Dataset, batch_size: int = 128, evaluator: Evaluator | None = None) -> dict:
    """Loss (and accuracy) on the train, val and test splits (as ``model.evaluate`` gives them)."""
    evaluator = evaluator or Evaluator(model, batch_size)
    out = {}
    for split in ("train", "val", "test"):
        x, y = getattr(dataset, f"x_{split}"), getattr(dataset, f"y_{split}")
        if len(x):
            out[split] = evaluator(split, x, y)
    return out
