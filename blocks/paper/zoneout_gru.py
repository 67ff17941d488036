"""Zoneout GRU: a GRU whose hidden units randomly keep their previous values while training."""
from __future__ import annotations

from blocks.rules.keras_import import standing_for
from blocks.rules.params import IN, OUT
from blocks.rules.recurrent import rnn_cost, rnn_export_notes, rnn_params, rnn_shape
from blocks.rules.zoneout import CONS, PROS, REFERENCE, rate_param
from blocks.spec import BlockSpec


def _build(params, name):
    from blocks.layers.zoneout import ZoneoutGRU

    return ZoneoutGRU(params["units"], zoneout_hidden=params["zoneout_hidden"],
                      return_sequences=params["return_sequences"], name=name)


SPEC = BlockSpec(
    id="paper.zoneout_gru", family="gru", title="Zoneout GRU", category="Paper techniques",
    doc="A GRU regularized with zoneout. A GRU has a single state, so there is one rate: while "
        "training, at every step each hidden unit keeps its previous value with probability "
        "`zoneout_hidden` (drawn anew per sample, step and unit); the other units take the "
        "normal GRU update. At inference every unit takes the expected blend "
        "z * old + (1 - z) * new. The output is the zoned hidden state. The default 0.1 is a "
        "light rate: the GRU's state is also its output, like the LSTM's hidden state for "
        "which the paper found small rates (0.05) best, so keep it around 0.05 to 0.2. "
        "Keras's reset_after GRU (same weights); with rate 0 it computes exactly a Keras GRU.",
    inputs=IN, outputs=OUT,
    params=rnn_params() + (rate_param("zoneout_hidden", 0.1, "hidden state"),),
    infer_shape=rnn_shape, cost=rnn_cost(3, extra_bias=3), build=_build, example_inputs=((None, 8, 8),),
    export_notes=rnn_export_notes,
    stochastic=True, pros=PROS, cons=CONS, reference=REFERENCE,
    keras_import=standing_for("ZoneoutGRU", names=("units", "return_sequences", "zoneout_hidden")),
)
