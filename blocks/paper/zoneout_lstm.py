"""Zoneout LSTM: an LSTM whose units randomly keep their previous values while training."""
from __future__ import annotations

from blocks.rules.keras_import import standing_for
from blocks.rules.params import IN, OUT
from blocks.rules.recurrent import rnn_cost, rnn_export_notes, rnn_params, rnn_shape
from blocks.rules.zoneout import CONS, PROS, REFERENCE, rate_param
from blocks.spec import BlockSpec


def _build(params, name):
    from blocks.layers.zoneout import ZoneoutLSTM

    return ZoneoutLSTM(params["units"], zoneout_cell=params["zoneout_cell"],
                       zoneout_hidden=params["zoneout_hidden"],
                       return_sequences=params["return_sequences"], name=name)


SPEC = BlockSpec(
    id="paper.zoneout_lstm", family="lstm", title="Zoneout LSTM", category="Paper techniques",
    doc="An LSTM regularized with zoneout. While training, at every step each unit of the cell "
        "state keeps its previous value with probability `zoneout_cell` and each unit of the "
        "hidden state with probability `zoneout_hidden` (drawn anew per sample, step and "
        "unit); the other units take the normal LSTM update. At inference every unit takes "
        "the expected blend z * old + (1 - z) * new. The output is the zoned hidden state. "
        "Use it instead of Dropout inside a recurrent model that over-fits. Defaults "
        "(cell 0.5, hidden 0.05) are the paper's best for character-level Penn Treebank. "
        "Same weights as the plain LSTM; with both rates 0 it computes exactly a Keras LSTM.",
    inputs=IN, outputs=OUT,
    params=rnn_params() + (rate_param("zoneout_cell", 0.5, "cell state (memory)"),
                          rate_param("zoneout_hidden", 0.05, "hidden state (output)")),
    infer_shape=rnn_shape, cost=rnn_cost(4), build=_build, example_inputs=((None, 8, 8),),
    export_notes=rnn_export_notes,
    stochastic=True, pros=PROS, cons=CONS, reference=REFERENCE,
    keras_import=standing_for("ZoneoutLSTM", names=("units", "return_sequences", "zoneout_cell", "zoneout_hidden")),
)
