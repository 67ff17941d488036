"""LSTM: the long short-term memory recurrent layer."""
from __future__ import annotations

from blocks.rules.keras_import import standing_for
from blocks.rules.params import IN, OUT
from blocks.rules.recurrent import rnn_cost, rnn_export_notes, rnn_params, rnn_shape
from blocks.spec import BlockSpec


def _build(params, name):
    import keras
    return keras.layers.LSTM(params["units"], return_sequences=params["return_sequences"], name=name)


SPEC = BlockSpec(
    id="core.lstm", family="lstm", title="LSTM", category="Recurrent",
    doc="Long short-term memory: a recurrent layer with input, forget and output gates and "
        "a cell state, so it remembers over long sequences. Four gates: 4x the weights of a "
        "SimpleRNN.",
    inputs=IN, outputs=OUT, params=rnn_params(),
    infer_shape=rnn_shape, cost=rnn_cost(4), build=_build, example_inputs=((None, 8, 8),),
    export_notes=rnn_export_notes,
    keras_import=standing_for("LSTM", names=("units", "return_sequences")),
)
