"""Excitation Dropout: drop the units that most support the true class more often.

Zunino, Bargal, Morerio, Zhang, Sclaroff & Murino (IJCV 2021; arXiv 1805.09092, 2018),
Sec. 3: every training step first finds how much each unit of the layer supports the
network's decision for the ground-truth class, with Excitation Backprop (Zhang et al.,
ECCV 2016; the marginal winning probability s, summing to 1 over the layer's N units),
then keeps each unit with probability

    p = 1 - (1 - P)(N - 1) s / (((1 - P) N - 1) s + P),

P being the base retain probability. A unit of average saliency (s = 1/N) is kept with
probability P as in standard dropout; the most salient ones are dropped more, so the
network must learn alternative evidence paths ("plasticity"). s = 1 gives p = 0, s = 0
gives p = 1.

Our design choices (the paper's models are CNNs with dropout on the fully connected layer
before the classifier; so is this block):

* The block sits on a (batch, N) vector feeding the classifier, e.g. after the hidden
  Dense of an MLP or the Flatten/Dense of a CNN, before the final Dense + softmax.
* Pass 1 (saliency) runs the model in inference mode, so upstream dropout or batch
  statistics are not disturbed, and propagates Excitation Backprop from the true class
  through the layers after the block: Dense (non-negative weights W+ = max(W, 0), bias
  ignored, negative inputs taken as 0), element-wise activations, dropout/noise layers and
  the Output. Any other layer there is refused with an error when training starts.
  Labels may be class indices, one-hot or soft labels. A sample whose class has no
  excitatory path gets the uniform saliency 1/N.
* Pass 2 is the normal training step. Kept units are scaled by 1/p, per unit (inverted
  dropout, as the Caffe dropout the authors built on and the public PyTorch
  reproduction do), so each unit keeps its expected value and inference is the identity.
* Without labels (``model.fit`` outside Sprout's trainer, or a bare call with
  training=True) the saliency is uniform: the block is standard dropout with retain P.
* One Excitation Dropout block per model (the trainer accepts one custom train step).
"""
from __future__ import annotations

from blocks.rules.keras_import import standing_for
from blocks.rules.params import IN, OUT
from blocks.rules.shapes import one_input, simple_cost
from blocks.spec import BlockSpec, ParamSpec, ShapeError, TrainingHooks


def _shape(params, in_shapes):
    shape = one_input(in_shapes, 2, "(batch, units): a feature vector, e.g. after Flatten or Dense")
    if shape[1] is not None and shape[1] < 2:
        raise ShapeError(f"Expected at least 2 units to share the saliency. Received: shape=(batch, {shape[1]})")
    return [shape]


def _build(params, name):
    from blocks.layers.excitation_dropout import ExcitationDropout

    return ExcitationDropout(base_retain=params["base_retain"], name=name)


def _train_step(model, default_step):
    from blocks.layers.excitation_dropout import make_train_step

    return make_train_step(model, default_step)


def _hooks(params):
    return TrainingHooks(train_step=_train_step)


SPEC = BlockSpec(
    id="paper.excitation_dropout", family="regularizer", title="Excitation Dropout", category="Paper techniques",
    doc="Excitation Dropout: a guided Dropout for the feature vector that feeds the classifier "
        "(put it after the last hidden Dense, or after Flatten/Dense in a CNN, right before the "
        "final Dense + softmax). Each training step first measures, with Excitation Backprop, how "
        "much every unit supports the true class of each sample (saliency s, summing to 1), then "
        "keeps a unit with probability p = 1 - (1-P)(N-1)s / (((1-P)N-1)s + P): average units are "
        "kept with the base probability P, the most salient ones are dropped the most, so the "
        "network learns several ways to recognise each class. Kept units are scaled by 1/p. "
        "Identity at inference; without labels it acts as standard dropout with retain P. Only "
        "Dense, activation, dropout and Output layers may follow it. One per model. No weights.",
    inputs=IN, outputs=OUT,
    params=(ParamSpec("base_retain", "float", 0.5,
                      "Base retain probability P: the chance of keeping a unit of average saliency "
                      "(the paper uses 0.5).", low=0.0, high=1.0, low_open=True, high_open=True),),
    infer_shape=_shape, cost=lambda p, i, o: simple_cost(0, 0, o), build=_build,
    example_inputs=((None, 32),), stochastic=True, training=_hooks,
    pros="Better generalization than standard dropout on image and video recognition; the network "
         "uses more of its units and relies on more evidence paths, so it degrades more gracefully "
         "when units are pruned or compressed.",
    cons="Each training step pays an extra forward and top-down pass for the saliency; it needs "
         "labels and a classifier head Excitation Backprop can follow, and adds nothing at test time "
         "beyond what dropout does.",
    reference="Zunino, A., Bargal, S. A., Morerio, P., Zhang, J., Sclaroff, S., Murino, V. Excitation "
              "Dropout: Encouraging Plasticity in Deep Neural Networks. International Journal of "
              "Computer Vision (IJCV), 2021 (arXiv:1805.09092, 2018).",
    keras_import=standing_for("ExcitationDropout", names=("base_retain",)),
)
