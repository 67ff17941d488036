"""The training monitor: history, best weights, NaN, stop and progress reports of one fit."""
from __future__ import annotations

import math
import threading
import time

import numpy as np

from engine.jobs import JobControl, Progress
from engine.train.config import TrainConfig


def batch_progress(epoch: int, epochs: int, batch: int, batches: int, loss: float | None) -> Progress:
    """The report after a training step: stage ``train``, steps counted over the whole run.

    ``metrics`` holds ``epoch`` and ``batch`` (from 0), ``batches`` per epoch and, when it
    was read at this step, ``loss``.
    """
    metrics = {"epoch": epoch, "batch": batch, "batches": batches}
    if loss is not None:
        metrics["loss"] = loss
    return Progress("train", epoch * batches + batch + 1, epochs * batches, f"epoch {epoch + 1}/{epochs}", metrics)


def epoch_progress(epoch: int, epochs: int, batches: int, row: dict) -> Progress:
    """The milestone after an epoch: stage ``epoch``; ``metrics`` is the history row plus ``batches``."""
    return Progress("epoch", epoch + 1, epochs, f"epoch {epoch + 1}/{epochs}", {**row, "batches": batches},
                    milestone=True)


class RunMonitor:
    """Tracks history, best weights, NaN and stop requests; Keras-free apart from the adapter.

    Speed matters here: a Keras callback that overrides ``on_train_batch_end`` forces a
    host sync and a conversion of every log after every step (about 15% slower on small
    CPU models), and an ``async_safe`` one spends helper threads on it that a 2-core
    laptop does not have. So the adapter has no batch hooks: it replaces the train
    function (on the training thread) with one that polls stop requests before each call,
    so a stop takes effect exactly after the call that was running, and reports after
    each call, reading the loss (a sync) only every ``LOSS_EVERY_S`` and at the end of each
    epoch. A NaN loss is caught at those reads and at every epoch end.

    One call runs an *execution block* of batches (``engine.train.execution``), as long as
    the :class:`~engine.train.calibrate.BlockPlan` says (it measures the lengths on the run
    when they are ``"auto"``). Keras's loop still asks once per batch; the calls that fall
    inside a block that already ran return its logs at once. The monitor counts batches,
    not calls, so progress, ETA and "after N steps" stay in batches; a stop ends within
    one block, and the weights kept are those after the last finished block.
    """

    LOSS_EVERY_S = 0.1

    def __init__(self, config: TrainConfig, n_train: int, on_progress, control: JobControl | None,
                 plan=None, validate=None):
        from engine.train.calibrate import BlockPlan

        self.config = config
        self.batches = max(1, math.ceil(n_train / config.batch_size))
        self.on_progress = on_progress
        self.control = control
        self.plan = plan or BlockPlan(1, False)
        self.validate = validate  # model -> {"val_loss": ...} after each epoch, or None
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
                self.model.train_function = monitor.block_function(self.model, self._step)

            def on_train_end(self, logs=None):
                self.model.train_function = self._step

            def on_epoch_begin(self, epoch, logs=None):
                monitor.epoch_begin(epoch)

            def on_epoch_end(self, epoch, logs=None):
                monitor.epoch_end(self.model, epoch, logs)

        return _Forward()

    def block_function(self, model, keras_function):
        """The train function Keras's loop calls once per batch: a block at each block's start."""
        from engine.train.execution import BlockStep, is_graph_iterator

        plan, steps = self.plan, {}
        pending, last = 0, {}

        def step_for(jit: bool):
            if jit not in steps:
                steps[jit] = BlockStep(model.train_step, jit)
            return steps[jit]

        def run(iterator):
            nonlocal pending, last
            if pending:
                pending -= 1  # this batch ran in the block that started earlier
                return last
            if self.stop_requested(model):
                return last  # nothing runs; fit() breaks out right after this call
            if not is_graph_iterator(iterator):
                last, n = keras_function(iterator), 1
            else:
                n = plan.next_length(self.batches - (self.batch + 1))
                last = self._run_block(step_for, iterator, n)
            pending = n - 1
            self.steps_run += n
            self.batch_end(model, last, n)
            return last

        return run

    def _run_block(self, step_for, iterator, n: int):
        plan = self.plan
        if not plan.measuring and not plan.use_jit:
            return step_for(False)(iterator, n)
        try:
            logs, seconds = step_for(plan.use_jit).timed(iterator, n)
        except Exception as exc:  # noqa: BLE001 - XLA refused the step: run it without
            if not plan.use_jit:
                raise
            plan.jit_failed(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
            return step_for(False)(iterator, n)
        if plan.measuring:
            plan.record(n, seconds)
        return logs

    def stop_requested(self, model) -> bool:
        """Polled before every step on the training thread."""
        if self.ended:
            model.stop_training = True
            return True
        if self.control is not None and self.control.should_stop():
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

    def batch_end(self, model, logs, batches: int = 1) -> None:
        """After each block of ``batches`` steps, on the training thread.

        ``logs`` are the block's (unsynced) tensors: metrics after its last batch.
        """
        self.batch += batches
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
                self._diverged(model, f"Loss became {loss} at epoch {self.epoch + 1}, batch {batch + 1}")
                return
            if self.on_progress:
                self.on_progress(batch_progress(self.epoch, self.config.epochs, batch, self.batches, loss))

    def _diverged(self, model, what: str) -> None:
        self.reason = "nan_loss"
        self.message = f"{what}: training stopped. Try a lower learning rate; {_kept(self.best_epoch)}."
        model.stop_training = True

    def epoch_end(self, model, epoch: int, logs) -> None:
        if self.reason == "nan_loss":
            return
        if self.batch < 0:
            # No step ran in this epoch (a stop landed on the epoch boundary): Keras still
            # ends the epoch, with its freshly reset metrics (loss 0, accuracy 0). Not an epoch.
            return
        logs = {k: float(v) for k, v in (logs or {}).items()}
        if "loss" in logs and not math.isfinite(logs["loss"]):
            self._diverged(model, f"Loss became {logs['loss']} in epoch {epoch + 1}")
            return
        if self.validate is not None:
            logs.update(self.validate(model))
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
            self.on_progress(epoch_progress(epoch, self.config.epochs, self.batches, row))


def _kept(best_epoch: int | None) -> str:
    if best_epoch is None:
        return "no epoch finished with a finite loss, so no weights are kept"
    return f"the best weights so far (epoch {best_epoch}) are kept"


def _current_lr(model) -> float:
    opt = model.optimizer
    lr = opt.learning_rate
    try:
        return float(lr if not callable(lr) else lr(opt.iterations))
    except TypeError:
        return float(np.asarray(lr))
