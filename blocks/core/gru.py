"""GRU: the gated recurrent unit."""
from __future__ import annotations

from blocks.rules.keras_import import standing_for
from blocks.rules.params import IN, OUT
from blocks.rules.recurrent import rnn_cost, rnn_export_notes, rnn_params, rnn_shape
from blocks.spec import BlockSpec


def _build(params, name):
    import keras
    return keras.layers.GRU(params["units"], return_sequences=params["return_sequences"], name=name)


SPEC = BlockSpec(
    id="core.gru", family="gru", title="GRU", category="Recurrent",
    doc="Gated recurrent unit: update and reset gates, no separate cell state. About 3/4 "
        "of an LSTM's cost, often as accurate. Uses Keras's reset_after variant (two biases per gate).",
    inputs=IN, outputs=OUT, params=rnn_params(),
    infer_shape=rnn_shape, cost=rnn_cost(3, extra_bias=3), build=_build, example_inputs=((None, 8, 8),),
    export_notes=rnn_export_notes,
    keras_import=standing_for("GRU", names=("units", "return_sequences")),
)
