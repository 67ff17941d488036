"""SimpleRNN: the plain (Elman) recurrent layer."""
from __future__ import annotations

from blocks.rules.keras_import import standing_for
from blocks.rules.params import IN, OUT
from blocks.rules.recurrent import rnn_cost, rnn_export_notes, rnn_params, rnn_shape
from blocks.spec import BlockSpec


def _build(params, name):
    import keras
    return keras.layers.SimpleRNN(params["units"], return_sequences=params["return_sequences"], name=name)


SPEC = BlockSpec(
    id="core.simple_rnn", title="SimpleRNN", category="Recurrent",
    doc="A plain recurrent layer: h_t = tanh(W x_t + U h_(t-1) + b). Cheap, but forgets "
        "quickly; prefer LSTM or GRU beyond a few dozen steps.",
    inputs=IN, outputs=OUT, params=rnn_params(),
    infer_shape=rnn_shape, cost=rnn_cost(1), build=_build, example_inputs=((None, 8, 8),),
    export_notes=rnn_export_notes,
    keras_import=standing_for("SimpleRNN", names=("units", "return_sequences")),
)
