"""Excitation Dropout's Keras layer, its Excitation Backprop saliency pass and train step.

Zunino et al. (IJCV 2021) drop each unit with a probability that grows with its
Excitation Backprop saliency for the true class. Three pieces live here:

* :func:`retain_probability`: the paper's retain probability p(s) for saliency s.
* ``ExcitationDropout``: a layer on a (batch, N) vector. While
  training it keeps unit j of sample b with probability p[b, j] and scales kept units by
  1/p[b, j] (inverted dropout, so inference is the identity). The saliency comes from the
  train step; without it (plain ``fit``, no labels) the layer uses the uniform saliency
  s = 1/N, i.e. standard dropout with retain probability P.
* :func:`make_train_step`: the two-pass step. Pass 1 runs the model in inference mode to
  the block and through the classifier that follows it, then propagates the marginal
  winning probability of Excitation Backprop (Zhang et al., ECCV 2016) from the true class
  down to the block's units; pass 2 is Keras's normal step with those saliencies applied.

Excitation Backprop rule (Zhang et al., Eq. 3-5) through a Dense layer with kernel W
(inputs x outputs) and non-negative inputs a: P(a_j) = a_j * sum_i W+_ji P(a_i) / sum_k a_k W+_ki,
with W+ = max(W, 0); bias terms are ignored. The top prior is one-hot at the true class, so
a single Dense after the block gives s_j = a_j W+_jc / sum_k a_k W+_kc. Element-wise layers
(activations, dropout/noise layers, Sprout's Output marker) pass P through unchanged. Any
other layer between the block and the model output is refused when training starts.
"""
from __future__ import annotations

import keras
from keras import ops

from blocks.spec import ShapeError

EPS = 1e-7
# Layers Excitation Backprop passes straight through: element-wise or identity at inference.
PASS_THROUGH = frozenset({
    "Activation", "ReLU", "LeakyReLU", "ELU", "PReLU", "Softmax", "Identity", "ActivityRegularization",
    "Dropout", "GaussianNoise", "GaussianDropout", "AlphaDropout", "ExcitationDropout",
    "AdditiveGaussianNoise", "JumpOut", "Swish",
})


def retain_probability(s, base_retain: float, n: int):
    """The paper's retain probability for saliency ``s`` (floats, arrays or tensors).

    p = 1 - (1-P)(N-1)s / (((1-P)N - 1)s + P), written as P(1-s) / (P(1-s) + (1-P)(N-1)s),
    the same expression with a denominator that stays positive for 0 <= s <= 1 and N >= 2.
    s = 1/N gives P, s = 1 gives 0 and s = 0 gives 1.
    """
    kept = base_retain * (1.0 - s)
    return kept / (kept + (1.0 - base_retain) * (n - 1) * s)


@keras.saving.register_keras_serializable(package="sprout")
class ExcitationDropout(keras.layers.Layer):
    """Drops units of a (batch, N) vector more often the more salient they are.

    Args:
        base_retain: P, the retain probability of a unit of average saliency, 0 < P < 1.
        seed: seed of the keep draws.
    """

    def __init__(self, base_retain=0.5, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not 0.0 < float(base_retain) < 1.0:
            raise ValueError(f"Expected 0 < base_retain < 1. Received: base_retain={base_retain!r}")
        self.base_retain = float(base_retain)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        object.__setattr__(self, "saliency", None)  # set by the train step for one call only

    def retain(self, n, saliency=None):
        """Per-unit retain probabilities; the uniform saliency 1/N when none is given."""
        if saliency is None:
            return ops.convert_to_tensor(self.base_retain, self.compute_dtype)
        s = ops.cast(saliency, self.compute_dtype)
        return ops.clip(retain_probability(s, self.base_retain, n), 0.0, 1.0)

    def call(self, inputs, training=None):
        if not training:
            return inputs
        p = self.retain(inputs.shape[-1], self.saliency)
        draw = keras.random.uniform(ops.shape(inputs), seed=self.seed_generator, dtype=inputs.dtype)
        keep = ops.less(draw, p)  # Bernoulli(p): p = 0 never keeps, p = 1 always keeps
        return ops.where(keep, inputs / ops.maximum(p, EPS), ops.zeros_like(inputs))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "base_retain": self.base_retain, "seed": self.seed}


def _chain(model, layer):
    """Layers from ``layer``'s output to the model output, each with its input tensor.

    Raises:
        ShapeError: when the path is not a plain chain Excitation Backprop can follow.
    """
    where = f"Excitation Dropout {layer.name}"
    if len(model.outputs) != 1:
        raise ShapeError(f"{where} needs a model with one output. Received: {len(model.outputs)} outputs")
    tensor, chain = model.outputs[0], []
    while True:
        op, node_index, _ = tensor._keras_history
        if op is layer:
            return chain[::-1]
        inputs = op._inbound_nodes[node_index].input_tensors
        if len(inputs) != 1:
            raise ShapeError(f"{where}: Excitation Backprop follows one chain of layers to the output, but "
                             f"{op.name} ({type(op).__name__}) has {len(inputs)} inputs")
        kind = type(op).__name__
        if kind != "Dense" and kind not in PASS_THROUGH:
            raise ShapeError(f"{where}: Excitation Backprop cannot pass through {op.name} ({kind}). Expected "
                             "only Dense, activation, dropout/noise layers and the Output between the block "
                             "and the model output (e.g. Excitation Dropout -> Dense softmax -> Output)")
        chain.append((op, inputs[0]))
        tensor = inputs[0]


def saliency_function(model):
    """A function ``(x, y) -> [saliency per ExcitationDropout layer]`` for ``model``.

    Each saliency has shape (batch, N), is non-negative and sums to 1 over the N units (a
    sample without any excitatory path to its class gets the uniform 1/N).

    Raises:
        ShapeError: for a layer Excitation Backprop cannot follow (checked here, at training start).
    """
    layers = [lay for lay in model.layers if isinstance(lay, ExcitationDropout)]
    chains = [[(op, t) for op, t in _chain(model, lay) if type(op).__name__ == "Dense"] for lay in layers]
    wanted = [lay.input for lay in layers] + [t for chain in chains for _, t in chain]
    inputs = model.inputs[0] if len(model.inputs) == 1 else model.inputs
    probe = keras.Model(inputs, wanted, name=f"{model.name}_excitation_probe")
    classes_out = int(model.outputs[0].shape[-1])

    def prior(y):
        if len(y.shape) == 2 and y.shape[-1] == classes_out and classes_out > 1:
            top = ops.cast(y, "float32")  # one-hot or soft labels
            return top / ops.maximum(ops.sum(top, axis=-1, keepdims=True), EPS)
        if classes_out == 1:  # one sigmoid unit: explain that unit
            return ops.ones((ops.shape(y)[0], 1), "float32")
        return ops.one_hot(ops.cast(ops.reshape(y, (-1,)), "int32"), classes_out)

    starts = [len(layers) + sum(len(c) for c in chains[:i]) for i in range(len(chains))]

    def saliency(x, y):
        acts = probe(x, training=False)
        acts = list(acts) if isinstance(acts, (list, tuple)) else [acts]
        top, out = prior(y), []
        for features, chain, start in zip(acts, chains, starts):
            p = top  # marginal winning probabilities, from the output down
            for (dense, _), a in reversed(list(zip(chain, acts[start:start + len(chain)]))):
                a = ops.relu(ops.cast(a, "float32"))  # EB assumes non-negative responses
                w = ops.relu(ops.cast(dense.kernel, "float32"))
                norm = ops.matmul(a, w)
                ratio = ops.where(norm > 0, p / ops.where(norm > 0, norm, 1.0), 0.0)
                p = a * ops.matmul(ratio, ops.transpose(w))
            total = ops.sum(p, axis=-1, keepdims=True)
            uniform = 1.0 / features.shape[-1]
            out.append(ops.stop_gradient(ops.where(total > 0, p / ops.where(total > 0, total, 1.0), uniform)))
        return out

    return layers, saliency


def make_train_step(model, default_step):
    """The two-pass train step: saliency for the true labels, then Keras's own step."""
    if not any(isinstance(lay, ExcitationDropout) for lay in model.layers):
        return default_step  # nothing to guide
    layers, saliency = saliency_function(model)

    def step(data):
        x, y, _ = keras.utils.unpack_x_y_sample_weight(data)
        if y is not None:  # no labels: the layers fall back to the uniform saliency
            for layer, s in zip(layers, saliency(x, y)):
                object.__setattr__(layer, "saliency", s)
        try:
            return default_step(data)
        finally:
            for layer in layers:
                object.__setattr__(layer, "saliency", None)

    return step
