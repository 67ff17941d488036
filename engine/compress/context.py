"""What every compression step works on and with: the model state, the data, progress and stop.

A step takes a :class:`State` (the model so far, its graph, the masks that keep pruned
weights at zero) and returns the next one. Fine-tuning is the one training loop of
compression: it compiles the model with the project's optimizer, re-applies the pruning
masks after every optimizer step (a variable constraint, so XLA and several steps per
execution keep them), reports progress and honours Stop between batches.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from engine.data.datasets import Dataset
from engine.jobs import JobControl, OnProgress, Progress, report
from engine.model.project import Project
from engine.train.config import TrainConfig, make_optimizer

PROBABILITY_ACTIVATIONS = ("softmax", "sigmoid")


@dataclass
class State:
    """The model between two steps.

    Attributes:
        model: the Keras model (float; a QAT model after quantization-aware training).
        project: its graph, when the model has one (None for a bare model file).
        masks: layer name -> 0/1 array over its kernel: weights pruned to stay zero.
        variant: how its TFLite is converted: float32, float16, dynamic or int8.
        notes: what the steps did, one line each.
    """

    model: object
    project: Project | None = None
    masks: dict = field(default_factory=dict)
    variant: str = "float32"
    notes: list = field(default_factory=list)
    from_logits: bool | None = None  # None: read from the model's last layer

    def logits(self) -> bool:
        """True when the model outputs logits (decided once: a QAT model ends in a quantizer)."""
        if self.from_logits is None:
            self.from_logits = outputs_logits(self.model)
        return self.from_logits


@dataclass
class Context:
    """The data, the training settings and the job's progress and stop switches."""

    dataset: Dataset
    config: TrainConfig
    on_progress: OnProgress | None = None
    control: JobControl | None = None
    stage: str = "compress"

    def say(self, message: str, step: int = 0, total: int | None = None, metrics=None, milestone=False) -> None:
        """Report one line of progress."""
        report(self.on_progress, Progress(self.stage, step, total, message, dict(metrics or {}), milestone))

    def stopped(self) -> bool:
        """True once the user asked to stop (waits here while paused)."""
        return self.control is not None and self.control.should_stop()


def outputs_logits(model) -> bool:
    """True when the model's (first) output is logits, not probabilities."""
    layer = model.layers[-1]
    while type(layer).__name__ == "Identity" and layer._inbound_nodes:  # the Output block
        parents = layer._inbound_nodes[0].parent_nodes
        if len(parents) != 1:
            break
        layer = parents[0].operation
    activation = getattr(layer, "activation", None)
    name = getattr(activation, "__name__", str(activation or ""))
    return name not in PROBABILITY_ACTIVATIONS and type(layer).__name__ not in ("Softmax",)


def loss_for(dataset: Dataset, from_logits: bool):
    """The loss fine-tuning uses: cross-entropy on the model's output kind, MSE for regression."""
    import keras

    if dataset.task != "classification":
        return keras.losses.MeanSquaredError()
    return keras.losses.SparseCategoricalCrossentropy(from_logits=from_logits)


def apply_masks(model, masks: dict) -> None:
    """Set every masked kernel's pruned weights to exactly zero."""
    for layer in model.layers:
        mask = masks.get(layer.name)
        if mask is not None and hasattr(layer, "kernel") and tuple(layer.kernel.shape) == mask.shape:
            layer.kernel.assign(np.asarray(layer.kernel) * mask)


def _constrain(model, masks: dict) -> list:
    """Attach a mask constraint to each masked kernel; returns the variables to release."""
    import keras

    attached = []
    for layer in model.layers:
        mask = masks.get(layer.name)
        if mask is None or not hasattr(layer, "kernel") or tuple(layer.kernel.shape) != mask.shape:
            continue
        held = keras.ops.convert_to_tensor(mask.astype("float32"))
        layer.kernel.constraint = lambda w, m=held: w * m
        attached.append(layer.kernel)
    return attached


def guard(ctx: Context, epochs: int, batches: int, on_batch=None):
    """A Keras callback: progress after every batch, Stop between batches, a mask hook.

    Its ``stopped`` is True when Stop ended the fit early (it sets ``stop_training``).
    """
    import keras

    class Guard(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.epoch, self.stopped = 0, False

        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch

        def on_train_batch_begin(self, batch, logs=None):
            if ctx.stopped():
                self.stopped = True
                self.model.stop_training = True

        def on_train_batch_end(self, batch, logs=None):
            if on_batch is not None:
                on_batch(self.epoch * batches + batch + 1, epochs * batches)
            ctx.say(f"fine-tune epoch {self.epoch + 1}/{epochs}", self.epoch * batches + batch + 1,
                    epochs * batches)

        def on_epoch_end(self, epoch, logs=None):
            ctx.say(f"fine-tune epoch {epoch + 1}/{epochs}", (epoch + 1) * batches, epochs * batches,
                    {k: float(v) for k, v in (logs or {}).items()}, milestone=True)
    return Guard()


def fine_tune(state: State, ctx: Context, epochs: int, learning_rate: float | None = None,
              on_batch=None, jit_compile="auto", extra_callbacks=()) -> bool:
    """Train ``state.model`` for ``epochs`` on the training split, masks kept exactly zero.

    Args:
        on_batch: ``(step, total)`` called after every batch (a gradual pruning schedule
            moves its masks here, and updates ``state.masks`` in place).
        jit_compile: passed to ``model.compile`` (tests run XLA on and off).

    Returns:
        False when Stop ended it early.
    """
    import math

    from engine.train.feed import training_dataset

    if epochs <= 0:
        return True
    model, data = state.model, ctx.dataset
    lr = ctx.config.learning_rate if learning_rate is None else learning_rate
    model.compile(optimizer=make_optimizer(ctx.config, lr), loss=loss_for(data, state.logits()),
                  metrics=["accuracy"] if data.task == "classification" else [], jit_compile=jit_compile)
    batches = max(1, math.ceil(len(data.x_train) / ctx.config.batch_size))
    callback = guard(ctx, epochs, batches, on_batch)
    attached = _constrain(model, state.masks)
    try:
        has_val = len(data.x_val) > 0
        # Shuffled by a seeded pipeline, not by Keras's: its shuffle takes its seed from how many
        # random ops the process made before, so the same plan fine-tuned differently in a fresh
        # process and after other work (a test suite) - and so did its accuracy.
        model.fit(training_dataset(data.x_train, data.y_train, ctx.config.batch_size, ctx.config.seed),
                  steps_per_epoch=batches, epochs=epochs, verbose=0, shuffle=False,
                  validation_data=(data.x_val, data.y_val) if has_val else None,
                  callbacks=[callback, *extra_callbacks])
    finally:
        for variable in attached:
            variable.constraint = None  # a saved model carries no constraint
    apply_masks(model, state.masks)
    return not callback.stopped


def accuracy(model, dataset: Dataset, split: str = "test") -> float | None:
    """Accuracy of a Keras model on a split (None for regression or an empty split)."""
    x, y = getattr(dataset, f"x_{split}"), getattr(dataset, f"y_{split}")
    if dataset.task != "classification" or not len(x):
        return None
    pred = np.asarray(model.predict(x, batch_size=256, verbose=0))
    return float(np.mean(np.argmax(pred, axis=-1) == np.asarray(y).reshape(-1)))


def fits_model(dataset: Dataset, model) -> Dataset:
    """``dataset`` with its samples reshaped to the model's input (8x8 images -> 64 features)."""
    want = tuple(model.inputs[0].shape[1:])
    if tuple(dataset.input_shape) == want or int(np.prod(want)) != int(np.prod(dataset.input_shape)):
        return dataset
    for attr in ("x_train", "x_val", "x_test"):
        arr = getattr(dataset, attr)
        setattr(dataset, attr, arr.reshape((len(arr), *want)))
    return dataset


def count_params(model) -> tuple[int, int]:
    """(parameters, non-zero parameters) of a Keras model."""
    total = nonzero = 0
    for weight in model.weights:
        arr = np.asarray(weight)
        total += arr.size
        nonzero += int(np.count_nonzero(arr))
    return total, nonzero
