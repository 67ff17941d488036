"""Zoneout LSTM and GRU layers (Krueger et al., ICLR 2017), shared by two blocks.

Zoneout regularizes a recurrent layer by letting each state unit, at each step, keep its
previous value instead of taking the new one. Per step ``t`` and per unit, with rate ``z``:

* training:  ``new = mask * candidate + (1 - mask) * old`` with ``mask ~ Bernoulli(1 - z)``
  sampled independently per sample, per step and per unit (``mask = 1`` means "update");
* inference: ``new = z * old + (1 - z) * candidate``, the expectation of the above.

The LSTM zones its cell state ``c`` and its hidden state ``h`` with separate rates. As in
the paper's equations and its reference Theano code, both candidates come from the plain
LSTM step: the candidate ``h`` is ``o * tanh(candidate c)``, computed before ``c`` is zoned.
The layer outputs the zoned ``h`` (the state the next step receives), not the raw
candidate. (The authors' TensorFlow gist returns the raw cell output instead; we follow
the paper's equations.)

Gate equations, weight shapes and weight order equal ``keras.layers.LSTM`` and
``keras.layers.GRU(reset_after=True)``, so with rates 0 the layers compute exactly what
Keras's layers compute with the same weights, and ``get_weights()`` transfers both ways.

Design: the layers subclass ``keras.layers.RNN``. All masks of a sequence are drawn
before the recurrence (shape (batch, steps, units) each) and appended to the step inputs,
so the step function itself holds no randomness: it stays stateless inside the backend's
loop (required by JAX, harmless on TensorFlow) and the masks are exactly per step.

The blocks' help text and rate parameter are in ``blocks/rules/zoneout.py``.
"""
from __future__ import annotations

import keras
from keras import ops

from blocks.rules.zoneout import check_rate


class _ZoneoutCell(keras.layers.Layer):
    """Base of the cells: the step input is ``[x, mask_1, ..., mask_k]`` on the last axis."""

    gates = 1
    zoned_states = 1

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = int(units)
        self.features = None

    def build(self, input_shape):
        # The RNN layer builds the cell from the raw sequence shape, before the masks
        # are appended; the kernel therefore sees only the real features.
        self.features = int(input_shape[-1])
        u, g = self.units, self.gates
        self.kernel = self.add_weight(shape=(self.features, g * u), name="kernel",
                                      initializer="glorot_uniform")
        self.recurrent_kernel = self.add_weight(shape=(u, g * u), name="recurrent_kernel",
                                                initializer="orthogonal")
        self.bias = self.add_weight(shape=self._bias_shape(), name="bias",
                                    initializer=self._bias_initializer())

    def _split(self, inputs):
        f, u = self.features, self.units
        x = inputs[:, :f]
        masks = [inputs[:, f + i * u: f + (i + 1) * u] for i in range(self.zoned_states)]
        return x, masks

    @staticmethod
    def _zone(mask, old, candidate):
        # Written as a blend (not old + mask * (cand - old)) so that a 0/1 mask returns
        # the old or the candidate value bit-exactly.
        return mask * candidate + (1.0 - mask) * old

    def get_config(self):
        return {**super().get_config(), "units": self.units}


@keras.saving.register_keras_serializable(package="sprout")
class ZoneoutLSTMCell(_ZoneoutCell):
    """One LSTM step (Keras's gate order i, f, c, o) followed by zoneout of c and h."""

    gates = 4
    zoned_states = 2

    @property
    def state_size(self):
        return [self.units, self.units]  # (h, c), as keras.layers.LSTMCell

    @property
    def output_size(self):
        return self.units

    def _bias_shape(self):
        return (4 * self.units,)

    def _bias_initializer(self):
        units = self.units

        def unit_forget_bias(shape, dtype=None):
            # Keras's LSTM default: forget-gate bias 1 so early training remembers.
            return ops.concatenate([ops.zeros((units,)), ops.ones((units,)),
                                    ops.zeros((2 * units,))])
        return unit_forget_bias

    def call(self, inputs, states):
        x, (mask_c, mask_h) = self._split(inputs)
        h_old, c_old = states[0], states[1]
        z = ops.matmul(x, self.kernel) + ops.matmul(h_old, self.recurrent_kernel) + self.bias
        z_i, z_f, z_c, z_o = ops.split(z, 4, axis=-1)
        i = ops.sigmoid(z_i)
        f = ops.sigmoid(z_f)
        o = ops.sigmoid(z_o)
        c_cand = f * c_old + i * ops.tanh(z_c)
        h_cand = o * ops.tanh(c_cand)  # from the un-zoned c, as in the paper
        c_new = self._zone(mask_c, c_old, c_cand)
        h_new = self._zone(mask_h, h_old, h_cand)
        return h_new, [h_new, c_new]


@keras.saving.register_keras_serializable(package="sprout")
class ZoneoutGRUCell(_ZoneoutCell):
    """One GRU step (Keras's reset_after variant, gate order z, r, h) then zoneout of h."""

    gates = 3
    zoned_states = 1

    @property
    def state_size(self):
        return self.units

    @property
    def output_size(self):
        return self.units

    def _bias_shape(self):
        return (2, 3 * self.units)  # input bias and recurrent bias, as Keras

    def _bias_initializer(self):
        return "zeros"

    def call(self, inputs, states):
        x, (mask_h,) = self._split(inputs)
        h_old = states[0] if isinstance(states, (list, tuple)) else states
        x_z, x_r, x_h = ops.split(ops.matmul(x, self.kernel) + self.bias[0], 3, axis=-1)
        r_z, r_r, r_h = ops.split(ops.matmul(h_old, self.recurrent_kernel) + self.bias[1], 3, axis=-1)
        update = ops.sigmoid(x_z + r_z)
        reset = ops.sigmoid(x_r + r_r)
        h_tilde = ops.tanh(x_h + reset * r_h)
        h_cand = update * h_old + (1.0 - update) * h_tilde
        h_new = self._zone(mask_h, h_old, h_cand)
        return h_new, [h_new]


class _ZoneoutRNN(keras.layers.RNN):
    """Base of the layers: draws the masks, appends them to the sequence, runs the RNN."""

    cell_class = None

    def __init__(self, units, zoneout_rates, return_sequences=False, seed=None, **kwargs):
        kwargs.pop("cell", None)
        cell = self.cell_class(units, name="cell", dtype=kwargs.get("dtype"))
        super().__init__(cell, return_sequences=return_sequences, **kwargs)
        self.units = int(units)
        self.seed = seed
        self._rates = tuple(zoneout_rates)
        self.seed_generator = keras.random.SeedGenerator(seed)

    def zoneout_masks(self, sequences, training):
        """One (batch, steps, units) mask per zoned state: 1 = update, 0 = keep.

        Training draws Bernoulli(1 - rate) per sample, step and unit; inference uses
        the constant 1 - rate, which turns the blend into its expectation.
        """
        shape = (ops.shape(sequences)[0], ops.shape(sequences)[1], self.units)
        masks = []
        for rate in self._rates:
            if training and rate > 0.0:
                draw = keras.random.uniform(shape, seed=self.seed_generator)
                masks.append(ops.cast(draw >= rate, sequences.dtype))
            else:
                masks.append(ops.full(shape, 1.0 - rate, dtype=sequences.dtype))
        return masks

    def inner_loop(self, sequences, initial_state, mask, training=False):
        augmented = ops.concatenate([sequences, *self.zoneout_masks(sequences, training)], axis=-1)
        return super().inner_loop(augmented, initial_state, mask, training=training)

    def _own_config(self):
        return {"units": self.units, "seed": self.seed}

    def get_config(self):
        config = super().get_config()
        del config["cell"]  # rebuilt from `units` by __init__
        return {**config, **self._own_config()}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        return cls(**config)


@keras.saving.register_keras_serializable(package="sprout")
class ZoneoutLSTM(_ZoneoutRNN):
    """An LSTM whose cell and hidden states zone out with separate rates."""

    cell_class = ZoneoutLSTMCell

    def __init__(self, units, zoneout_cell=0.5, zoneout_hidden=0.05, **kwargs):
        self.zoneout_cell = check_rate("zoneout_cell", zoneout_cell)
        self.zoneout_hidden = check_rate("zoneout_hidden", zoneout_hidden)
        # Mask order follows the cell's split: cell state first, then hidden state.
        super().__init__(units, (self.zoneout_cell, self.zoneout_hidden), **kwargs)

    def _own_config(self):
        return {**super()._own_config(), "zoneout_cell": self.zoneout_cell,
                "zoneout_hidden": self.zoneout_hidden}


@keras.saving.register_keras_serializable(package="sprout")
class ZoneoutGRU(_ZoneoutRNN):
    """A GRU (reset_after) whose hidden state zones out."""

    cell_class = ZoneoutGRUCell

    def __init__(self, units, zoneout_hidden=0.1, **kwargs):
        self.zoneout_hidden = check_rate("zoneout_hidden", zoneout_hidden)
        super().__init__(units, (self.zoneout_hidden,), **kwargs)

    def _own_config(self):
        return {**super()._own_config(), "zoneout_hidden": self.zoneout_hidden}
