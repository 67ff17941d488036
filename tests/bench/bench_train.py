"""Sprout's trainer (progress + stop callbacks) vs plain ``model.fit``: throughput ratio."""
from __future__ import annotations

from tests.bench.common import epoch_timer as _epoch_timer
from tests.bench.common import median

EPOCHS = 8
BATCH = 32


def run() -> dict:
    import keras

    from engine.build.compiler import compile_document
    from engine.data.datasets import DataConfig, load_dataset
    from engine.train.config import TrainConfig
    from engine.train.trainer import prepare_model, train
    from engine.train.workflow import open_project
    from tests.conftest import EXAMPLES

    doc = open_project(EXAMPLES / "digits_cnn.sprout").document
    cfg = TrainConfig(epochs=EPOCHS, batch_size=BATCH, learning_rate=0.002)
    ds = load_dataset(DataConfig("digits"))
    sprout_epochs, plain_epochs = [], []

    def sprout_run():
        keras.utils.clear_session()
        compiled = compile_document(doc)
        ticks = []
        result = train(compiled, ds, cfg, on_progress=ticks.append)
        sprout_epochs.extend(row["seconds"] for row in result.history[1:])  # epoch 1 includes tracing

    def plain_run():
        keras.utils.clear_session()
        compiled = compile_document(doc)
        prepare_model(compiled, ds, cfg)
        timer = _epoch_timer()
        compiled.model.fit(ds.x_train, ds.y_train, batch_size=BATCH, epochs=EPOCHS, verbose=0,
                           validation_data=(ds.x_val, ds.y_val), callbacks=[timer])
        plain_epochs.extend(timer.seconds[1:])

    for first, second in ((sprout_run, plain_run), (plain_run, sprout_run)) * 2:  # ABBA: order effects cancel
        first()
        second()
    sprout, plain = median(sprout_epochs), median(plain_epochs)
    return {"name": "train_throughput", "what": "Sprout trainer vs plain model.fit, digits_cnn, batch 32",
            "sprout_epoch_s": round(sprout, 4), "plain_epoch_s": round(plain, 4),
            "ratio": round(plain / sprout, 3), "target": ">= 0.97 (throughput ratio)"}
