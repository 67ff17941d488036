"""Training: a plain engine function with ``on_progress``/``should_stop`` callables.

It knows nothing of Qt; the GUI wraps it in a worker, the CLI in a progress bar.
Stopping ends after the current batch; a NaN loss stops the run and restores the
best weights seen so far.
"""
from __future__ import annotations

import csv
import json
import math
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np

from blocks.spec import BlockError
from engine.compiler import CompiledGraph
from engine.data import Dataset
from engine.errors import DataError, TrainingError

OPTIMIZERS = ("adam", "adamw", "sgd", "rmsprop")
HISTORY_COLUMNS = ("epoch", "loss", "accuracy", "val_loss", "val_accuracy", "lr", "seconds")


@dataclass(frozen=True)
class TrainConfig:
    """Hyper-parameters: the project's ``training`` section."""

    epochs: int = 10
    batch_size: int = 32
    optimizer: str = "adam"
    learning_rate: float = 1e-3
    seed: int = 0
    early_stopping: int = 0  # patience in epochs; 0 = off

    @classmethod
    def from_dict(cls, d: dict, **overrides) -> TrainConfig:
        """Validate a ``training`` section (plus CLI overrides); TrainingError names the key."""
        merged = {**{k: v for k, v in d.items() if k in cls.__dataclass_fields__},
                  **{k: v for k, v in overrides.items() if v is not None}}
        cfg = cls(**merged)
        checks = {
            "epochs": (int, 1, 100_000), "batch_size": (int, 1, 1 << 20), "seed": (int, 0, 2**31 - 1),
            "early_stopping": (int, 0, 10_000), "learning_rate": (float, 1e-12, 100.0),
        }
        for key, (typ, lo, hi) in checks.items():
            v = getattr(cfg, key)
            ok = not isinstance(v, bool) and isinstance(v, (int, float)) and (typ is float or float(v).is_integer())
            if not ok or not lo <= v <= hi:
                raise TrainingError(f"Expected {lo} <= training.{key} <= {hi}. Received: {key}={v!r}")
        if cfg.optimizer not in OPTIMIZERS:
            raise TrainingError(f"Expected training.optimizer in {list(OPTIMIZERS)}. Received: optimizer={cfg.optimizer!r}")
        return cfg


@dataclass
class Progress:
    """What ``on_progress`` receives: after a batch (``batch`` set) or an epoch (``row`` set)."""

    epoch: int
    epochs: int
    batch: int | None
    batches: int
    loss: float | None = None
    row: dict | None = None


@dataclass
class TrainResult:
    """How a run ended and what it measured."""

    history: list[dict]
    stop_reason: str  # completed, stopped, nan_loss, early_stopping
    epochs_run: int
    best_epoch: int | None
    metrics: dict = field(default_factory=dict)  # {"train": {...}, "val": {...}, "test": {...}}
    message: str = ""


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
    steps = max(1, math.ceil(len(dataset.x_train) / config.batch_size))
    lr = schedule(config.learning_rate, steps, effective_epochs(compiled, config)) if schedule else None
    model.compile(optimizer=make_optimizer(config, lr), loss=losses[loss](), metrics=metrics)
    step = _single_hook(compiled, "train_step")
    default = model.__dict__.setdefault("_sprout_default_step", model.train_step)  # never wrap a wrapper
    try:
        model.train_step = step(model, default) if step is not None else default  # make_train_function() uses it
    except BlockError as exc:
        raise TrainingError(str(exc)) from None


def make_optimizer(config: TrainConfig, learning_rate=None):
    """The Keras optimizer named in ``config`` (``learning_rate`` may be a schedule)."""
    import keras

    cls = {"adam": keras.optimizers.Adam, "adamw": keras.optimizers.AdamW,
           "sgd": keras.optimizers.SGD, "rmsprop": keras.optimizers.RMSprop}[config.optimizer]
    return cls(learning_rate=config.learning_rate if learning_rate is None else learning_rate)


def train(compiled: CompiledGraph, dataset: Dataset, config: TrainConfig, out_dir: str | Path | None = None,
          on_progress: Callable[[Progress], None] | None = None,
          should_stop: Callable[[], bool] | None = None) -> TrainResult:
    """Train ``compiled.model`` on ``dataset``.

    Writes ``best.keras``, ``last.keras`` and ``model.keras`` (the best weights) plus
    ``history.csv`` and ``summary.json`` into ``out_dir`` when given.

    Args:
        on_progress: called after every batch and every epoch (on the training thread).
        should_stop: polled after every batch; True ends training after that batch.
    """
    import keras

    keras.utils.set_random_seed(config.seed)
    prepare_model(compiled, dataset, config)
    model = compiled.model
    out = Path(out_dir) if out_dir else None
    if out:
        out.mkdir(parents=True, exist_ok=True)
    epochs = effective_epochs(compiled, config)
    monitor = RunMonitor(replace(config, epochs=epochs), len(dataset.x_train), on_progress, should_stop)
    has_val = len(dataset.x_val) > 0
    augments = [_named_augment(uid, h.augment) for uid, h in compiled.hooks if h.augment is not None]
    if augments:
        from engine.augmented import augmented_batches

        data = {"x": augmented_batches(dataset.x_train, dataset.y_train, config.batch_size, augments,
                                            config.seed, lambda: monitor.epoch)}
    else:
        data = {"x": dataset.x_train, "y": dataset.y_train, "batch_size": config.batch_size, "shuffle": True}
    model.fit(**data, epochs=epochs, validation_data=(dataset.x_val, dataset.y_val) if has_val else None,
              verbose=0, callbacks=[monitor.keras_callback()])
    if out and monitor.reason != "nan_loss":
        model.save(out / "last.keras")
    if monitor.best_weights is not None:
        model.set_weights(monitor.best_weights)  # the model leaves training with its best weights
    result = TrainResult(monitor.history, monitor.reason, len(monitor.history), monitor.best_epoch,
                         message=monitor.message)
    if monitor.reason != "nan_loss" or monitor.best_weights is not None:
        result.metrics = evaluate(model, dataset, config.batch_size)
        for _, hooks in compiled.hooks:
            if hooks.evaluate is not None and len(dataset.x_test):
                result.metrics.setdefault("test", {}).update(hooks.evaluate(model, dataset.x_test, dataset.y_test))
    if out:
        if monitor.best_weights is not None:
            model.save(out / "best.keras")
            model.save(out / "model.keras")
        elif monitor.reason != "nan_loss":
            model.save(out / "model.keras")
        write_history(out / "history.csv", result.history)
        summary = {"stop_reason": result.stop_reason, "message": result.message,
                   "epochs_run": result.epochs_run, "best_epoch": result.best_epoch,
                   "params": int(model.count_params()), "metrics": result.metrics,
                   "config": asdict(config), "dataset": dataset.describe()}
        (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return result


def evaluate(model, dataset: Dataset, batch_size: int = 128) -> dict:
    """Loss (and accuracy) on the train, val and test splits."""
    out = {}
    for split in ("train", "val", "test"):
        x, y = getattr(dataset, f"x_{split}"), getattr(dataset, f"y_{split}")
        if len(x):
            out[split] = {k: float(v) for k, v in model.evaluate(x, y, batch_size=batch_size, verbose=0,
                                                                  return_dict=True).items()}
    return out


def write_history(path: Path, history: list[dict]) -> None:
    """``history.csv`` with the columns of HISTORY_COLUMNS (blank where not measured)."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=HISTORY_COLUMNS, extrasaction="ignore")
        writer.writeheader()
        for row in history:
            writer.writerow({k: ("" if row.get(k) is None else row[k]) for k in HISTORY_COLUMNS})


class RunMonitor:
    """Tracks history, best weights, NaN and stop requests; Keras-free apart from the adapter.

    Speed matters here: a Keras callback that overrides ``on_train_batch_end`` forces a
    host sync and a conversion of every log after every step (about 15% slower on small
    CPU models), and an ``async_safe`` one spends helper threads on it that a 2-core
    laptop does not have. So the adapter has no batch hooks: a guard around the train
    step (on the training thread) polls stop requests before each step, so a stop takes
    effect exactly after the batch that was running, and reports every batch, reading
    the loss (a sync) only every ``LOSS_EVERY_S`` and at the end of each epoch. A NaN
    loss is caught at those reads and at every epoch end.
    """

    LOSS_EVERY_S = 0.1

    def __init__(self, config: TrainConfig, n_train: int, on_progress, should_stop):
        self.config = config
        self.batches = max(1, math.ceil(n_train / config.batch_size))
        self.on_progress = on_progress
        self.should_stop = should_stop
        self.history: list[dict] = []
        self.reason = "completed"
        self.message = ""
        self.best_weights = None
        self.best_epoch = None
        self.best_val = math.inf
        self.epoch = 0
        self.batch = -1
        self.steps_run = 0
        self._t0 = 0.0
        self._last_read = 0.0
        self._wait = 0
        self._lock = threading.Lock()

    @property
    def ended(self) -> bool:
        """True once a stop request or a NaN loss ended the run."""
        return self.reason in ("stopped", "nan_loss")

    def keras_callback(self):
        """A Keras callback that forwards to this monitor."""
        import keras

        monitor = self

        class _Forward(keras.callbacks.Callback):
            def on_train_begin(self, logs=None):
                self._step = self.model.train_function
                step = self._step
                last = {}

                def guarded(iterator):
                    nonlocal last
                    if monitor.stop_requested(self.model):
                        return last  # nothing runs; fit() breaks out right after this step
                    last = step(iterator)
                    monitor.steps_run += 1
                    monitor.batch_end(self.model, last)
                    return last

                self.model.train_function = guarded

            def on_train_end(self, logs=None):
                self.model.train_function = self._step

            def on_epoch_begin(self, epoch, logs=None):
                monitor.epoch_begin(epoch)

            def on_epoch_end(self, epoch, logs=None):
                monitor.epoch_end(self.model, epoch, logs)

        return _Forward()

    def stop_requested(self, model) -> bool:
        """Polled before every step on the training thread."""
        if self.ended:
            model.stop_training = True
            return True
        if self.should_stop and self.should_stop():
            with self._lock:
                self.reason = "stopped"
                self.message = f"Stopped by request at epoch {self.epoch + 1} after {self.steps_run} steps."
            model.stop_training = True
            return True
        return False

    def epoch_begin(self, epoch: int) -> None:
        self.epoch = epoch
        self.batch = -1
        self._t0 = time.perf_counter()

    def batch_end(self, model, logs) -> None:
        """After each step, on the training thread; ``logs`` are the step's (unsynced) tensors."""
        self.batch += 1
        batch = self.batch
        now = time.perf_counter()
        read = batch + 1 >= self.batches or now - self._last_read >= self.LOSS_EVERY_S
        with self._lock:
            if self.ended:
                return
            loss = None
            if read and logs and "loss" in logs:
                self._last_read = now
                loss = float(logs["loss"])
            if loss is not None and not math.isfinite(loss):
                self.reason = "nan_loss"
                self.message = (f"Loss became {loss} at epoch {self.epoch + 1}, batch {batch + 1}: training "
                                "stopped. Try a lower learning rate; the best weights so far are kept.")
                model.stop_training = True
                return
            if self.on_progress:
                self.on_progress(Progress(self.epoch, self.config.epochs, batch, self.batches, loss))

    def epoch_end(self, model, epoch: int, logs) -> None:
        if self.reason == "nan_loss":
            return
        logs = {k: float(v) for k, v in (logs or {}).items()}
        if "loss" in logs and not math.isfinite(logs["loss"]):
            self.reason = "nan_loss"
            self.message = (f"Loss became {logs['loss']} in epoch {epoch + 1}: training stopped. "
                            "Try a lower learning rate; the best weights so far are kept.")
            model.stop_training = True
            return
        row = {"epoch": epoch + 1, **logs, "lr": _current_lr(model),
               "seconds": round(time.perf_counter() - self._t0, 4)}
        self.history.append(row)
        watched = logs.get("val_loss", logs.get("loss", math.inf))
        if math.isfinite(watched) and watched < self.best_val:
            self.best_val, self.best_epoch, self._wait = watched, epoch + 1, 0
            self.best_weights = model.get_weights()
        else:
            self._wait += 1
            if self.config.early_stopping and self._wait >= self.config.early_stopping and self.reason == "completed":
                self.reason = "early_stopping"
                self.message = f"No improvement of val_loss for {self._wait} epochs."
                model.stop_training = True
        if self.on_progress:
            self.on_progress(Progress(epoch, self.config.epochs, None, self.batches, logs.get("loss"), row))


def _current_lr(model) -> float:
    opt = model.optimizer
    lr = opt.learning_rate
    try:
        return float(lr if not callable(lr) else lr(opt.iterations))
    except TypeError:
        return float(np.asarray(lr))
