"""Sprout's trainer vs plain ``model.fit`` with Keras defaults (issue 16): throughput, Stop, data.

Per example: the same compiled model, data and batch size. The first Sprout run measures
its block lengths on itself (reported as ``first_run_ratio``); the runs after it take the
choice from the cache, as a project's second run does. Sprout and plain runs alternate
ABBA so order effects cancel; epoch 1 (tracing) is left out of the epoch medians, which
include validation on both sides. Stop: a thread asks to stop at a random moment after
the first epoch (whose end traces the validation step once, ~0.3 s that a Stop pressed
then waits for); from the request to the running block's end (``block_*``), and to
``train()`` returning with the final evaluation done (``run_*``). Data: one epoch of the training pipeline read
alone, against a training epoch; the same for PBA's per-epoch augmentation.
"""
from __future__ import annotations

import random
import threading
import time

from tests.bench.common import epoch_timer, median

EPOCHS = 6
BATCH = 32
EXAMPLES_RUN = ("digits_cnn", "digits_mlp", "seq_digits_lstm")
STOPS = 20


class _StopLater:
    """A job control: asks to stop ``delay_s`` after the first epoch (its one-time traces done)."""

    def __init__(self, delay_s: float):
        self.delay_s = delay_s
        self.requested = self.seen = None
        self._timer = None

    def tick(self, progress):
        if self._timer is None and progress.stage == "epoch":
            self._timer = threading.Timer(self.delay_s, self._request)
            self._timer.start()

    def _request(self):
        self.requested = time.perf_counter()

    def should_stop(self) -> bool:
        if self.requested is not None and self.seen is None:
            self.seen = time.perf_counter()  # polled before the next block: the running one ended
        return self.requested is not None


def _data(name):
    from engine.train.workflow import load_data, open_project, plan_run
    from tests.conftest import EXAMPLES

    project = open_project(EXAMPLES / f"{name}.sprout")
    return project.document, load_data(plan_run(project))


def _sprout(doc, ds, cfg, cache, **kw):
    import keras

    from engine.build.compiler import compile_document
    from engine.train.trainer import train

    keras.utils.clear_session()
    keras.utils.set_random_seed(cfg.seed)
    return train(compile_document(doc), ds, cfg, execution=cache, **kw)


def _plain(doc, ds, cfg) -> list[float]:
    import keras

    from engine.build.compiler import compile_document
    from engine.train.trainer import prepare_model

    keras.utils.clear_session()
    keras.utils.set_random_seed(cfg.seed)
    compiled = compile_document(doc)
    prepare_model(compiled, ds, cfg)  # Keras defaults: steps_per_execution=1, no XLA on a CPU
    timer = epoch_timer()
    compiled.model.fit(ds.x_train, ds.y_train, batch_size=BATCH, epochs=cfg.epochs, verbose=0,
                       validation_data=(ds.x_val, ds.y_val), callbacks=[timer])
    return timer.seconds[1:]


def _throughput(name: str) -> dict:
    from engine.train.calibrate import ExecutionCache
    from engine.train.config import TrainConfig

    doc, ds = _data(name)
    cfg = TrainConfig(epochs=EPOCHS, batch_size=BATCH, learning_rate=0.002)
    cache = ExecutionCache(None)
    first = _sprout(doc, ds, cfg, cache)
    first_plain = _plain(doc, ds, cfg)
    settings = first.execution
    sprout_epochs, plain_epochs = [], []

    def sprout_run():
        result = _sprout(doc, ds, cfg, cache)
        assert result.execution.source == "cached", result.execution
        sprout_epochs.extend(row["seconds"] for row in result.history[1:])

    def plain_run():
        plain_epochs.extend(_plain(doc, ds, cfg))

    for a, b in ((sprout_run, plain_run), (plain_run, sprout_run)):  # ABBA
        a()
        b()
    sprout, plain = median(sprout_epochs), median(plain_epochs)
    first_s = median([row["seconds"] for row in first.history[1:]])
    return {"name": f"train_{name}", "what": f"Sprout trainer vs plain model.fit, {name}, batch {BATCH}: "
            f"{settings.describe()}",
            "sprout_epoch_s": round(sprout, 4), "plain_epoch_s": round(plain, 4),
            "steps_per_execution": settings.steps_per_execution, "jit_compile": settings.jit_compile,
            "timings": settings.timings, "source": settings.source,
            "first_run_ratio": round(median(first_plain) / first_s, 3),
            "ratio": round(plain / sprout, 3), "target": ">= 1.4 (throughput ratio)"}


def _stop_latency(name: str) -> dict:
    from engine.train.calibrate import ExecutionCache
    from engine.train.config import TrainConfig

    doc, ds = _data(name)
    cache = ExecutionCache(None)
    epoch_s = median([r["seconds"] for r in _sprout(doc, ds, TrainConfig(epochs=6, batch_size=BATCH),
                                                   cache).history[1:]])
    rng = random.Random(0)
    cfg = TrainConfig(epochs=50, batch_size=BATCH)
    blocks, runs, spe = [], [], 1
    for _ in range(STOPS):
        control = _StopLater(rng.uniform(0.05, 2 * epoch_s))
        result = _sprout(doc, ds, cfg, cache, on_progress=control.tick, control=control)
        end = time.perf_counter()
        spe = result.execution.steps_per_execution
        if control.requested is not None and control.seen is not None:
            blocks.append(control.seen - control.requested)
            runs.append(end - control.requested)
    return {"name": "train_stop_latency", "what": f"Stop -> block ended / run ended (final evaluation included), "
            f"{name}, steps_per_execution={spe}, {len(blocks)} stops",
            "block_median_ms": round(1000 * median(blocks), 1), "block_max_ms": round(1000 * max(blocks), 1),
            "run_median_ms": round(1000 * median(runs), 1), "run_max_ms": round(1000 * max(runs), 1),
            "ratio": round(max(blocks) / 0.1, 3), "target": "block max <= 100 ms (ratio <= 1)"}


def _pipeline() -> dict:
    """Seconds to read one epoch of training data alone vs a training epoch (digits_cnn, PBA)."""
    import numpy as np

    from engine.build.compiler import compile_document
    from engine.train.augmented import augmented_batches
    from engine.train.feed import batches, training_dataset

    doc, ds = _data("digits_cnn")
    n = batches(len(ds.x_train), BATCH)
    it = iter(training_dataset(ds.x_train, ds.y_train, BATCH, 0))
    for _ in range(n):
        next(it)  # warm
    t0 = time.perf_counter()
    for _ in range(3 * n):
        next(it)
    feed_s = (time.perf_counter() - t0) / 3
    pba_doc, pba_ds = _data("digits_pba")
    compiled = compile_document(pba_doc)
    augments = [h.augment for _, h in compiled.hooks if h.augment is not None]
    x = pba_ds.x_train.reshape((len(pba_ds.x_train), *compiled.model.inputs[0].shape[1:]))
    seq = augmented_batches(x, pba_ds.y_train, BATCH, augments, 0, lambda: 5)
    t0 = time.perf_counter()
    for i in range(len(seq)):
        seq[i]
    pba_s = time.perf_counter() - t0
    from engine.train.calibrate import ExecutionCache
    from engine.train.config import TrainConfig

    cfg = TrainConfig(epochs=4, batch_size=BATCH)
    epoch = median([r["seconds"] for r in _sprout(doc, ds, cfg, ExecutionCache(None)).history[1:]])
    pba_epoch = median([r["seconds"] for r in _sprout(pba_doc, pba_ds, cfg, ExecutionCache(None)).history[1:]])
    return {"name": "train_data_feed", "what": "reading an epoch of data alone / a training epoch (digits_cnn; "
            "PBA augmentation on digits_pba)", "feed_epoch_ms": round(1000 * feed_s, 1),
            "epoch_ms": round(1000 * epoch, 1), "pba_augment_epoch_ms": round(1000 * pba_s, 1),
            "pba_epoch_ms": round(1000 * pba_epoch, 1), "pba_share": round(pba_s / pba_epoch, 3),
            "ratio": round(feed_s / epoch, 3), "target": "<= 0.1 (the feed is not the bottleneck)",
            "batches": int(np.int64(n))}


def run() -> list[dict]:
    results = [_throughput(name) for name in EXAMPLES_RUN]
    results.append(_stop_latency(EXAMPLES_RUN[0]))
    results.append(_pipeline())
    return results


if __name__ == "__main__":
    for res in run():
        print(res)
