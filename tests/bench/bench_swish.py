"""Swish vs ReLU: training step time of digits_cnn against digits_swish (same data, batch, epochs).

digits_swish is digits_cnn with each ReLU replaced by a linear layer followed by a
``paper.swish`` block (one trainable beta each). The survey (Table 1) says Swish makes
epochs about 15% slower than ReLU.
"""
from __future__ import annotations

from tests.bench.common import epoch_timer as _epoch_timer
from tests.bench.common import median

EPOCHS = 8
BATCH = 32
ROUNDS = 3


def _epoch_seconds(doc, ds, cfg) -> list[float]:
    """Seconds per epoch of plain ``model.fit`` (the first, tracing epoch dropped)."""
    import keras

    from engine.build.compiler import compile_document
    from engine.train.trainer import prepare_model

    keras.utils.clear_session()
    keras.utils.set_random_seed(cfg.seed)
    compiled = compile_document(doc)
    prepare_model(compiled, ds, cfg)
    timer = _epoch_timer()
    compiled.model.fit(ds.x_train, ds.y_train, batch_size=BATCH, epochs=EPOCHS, verbose=0, shuffle=True,
                       callbacks=[timer])
    return timer.seconds[1:]


def run() -> dict:
    import math

    from engine.data.datasets import DataConfig, load_dataset
    from engine.train.config import TrainConfig
    from engine.train.workflow import open_project
    from tests.conftest import EXAMPLES

    relu_doc = open_project(EXAMPLES / "digits_cnn.sprout").document
    swish_doc = open_project(EXAMPLES / "digits_swish.sprout").document
    cfg = TrainConfig(epochs=EPOCHS, batch_size=BATCH, learning_rate=0.002)
    ds = load_dataset(DataConfig("digits"))
    relu_epochs, swish_epochs = [], []
    for _ in range(ROUNDS):  # interleave so drift in machine load hits both alike
        relu_epochs += _epoch_seconds(relu_doc, ds, cfg)
        swish_epochs += _epoch_seconds(swish_doc, ds, cfg)
    steps = math.ceil(len(ds.x_train) / BATCH)
    relu, swish = median(relu_epochs), median(swish_epochs)
    return {"name": "swish_vs_relu", "what": f"digits_cnn train step time, Swish (scalar beta) vs ReLU, "
                                             f"batch {BATCH}, {steps} steps/epoch",
            "swish_epoch_s": round(swish, 4), "relu_epoch_s": round(relu, 4),
            "swish_step_ms": round(1000 * swish / steps, 3), "relu_step_ms": round(1000 * relu / steps, 3),
            "swish_epochs_s": [round(t, 4) for t in swish_epochs],
            "relu_epochs_s": [round(t, 4) for t in relu_epochs],
            "ratio": round(swish / relu, 3), "target": "about 1.15 per the survey"}
