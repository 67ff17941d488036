"""Knowledge distillation: a slimmer copy of the graph learns from the trained original.

The teacher and the student must both answer in logits, so the class layer's softmax is
switched off for training (:func:`logits_project`) and switched back on for the student
the user keeps (:func:`with_softmax`). Training uses Keras's own ``Distiller``; the loss is

    alpha * CE(y, student) + (1 - alpha) * T^2 * KL(softmax(teacher / T) || softmax(student / T))

How Keras 3.15 reaches exactly that (read from ``keras/src/distillation``): ``Distiller``
adds ``student_loss_weight * student_loss + (1 - student_loss_weight) * sum(w_i * d_i)``
with ``w = [1.0]`` for a single distillation loss, so ``student_loss_weight=alpha``.
``LogitsDistillation`` divides both outputs by T and, only when its loss is a
``KLDivergence`` *instance*, applies the softmax and multiplies by T^2; a loss given by
name resolves to a bare function and gets neither. ``KLDivergence`` clips both
distributions to [1e-7, 1] and averages over the batch; :func:`distillation_loss` does
the same, so the two agree to float precision.
"""
from __future__ import annotations

import math

import numpy as np

from engine.compress.graph import clone, compressible, feeds_output, rebuild
from engine.errors import CompressionError
from engine.model.project import Project

#: What ``keras.losses.KLDivergence`` clips probabilities to (keras.config.epsilon()).
EPSILON = 1e-7
NOT_CLASSIFIER_LOSSES = ("mse", "mae", "binary_crossentropy")


def _output_and_feeder(project: Project) -> tuple[str, str]:
    doc = project.document
    outputs = [uid for uid in doc.topological_order() if doc.spec(uid).role == "output"]
    if len(outputs) != 1:
        raise CompressionError(f"distillation needs a model with one Output; this one has {len(outputs)}")
    links = list(doc.inputs_of(outputs[0]).values())
    if not links:
        raise CompressionError(f"distillation needs a connected Output; {outputs[0]} has no input")
    return outputs[0], links[0].source


def check(project: Project, dataset=None) -> None:
    """Refuse a project that distillation cannot work on, before any work starts.

    Distillation matches class distributions, so the model needs one classifier output:
    a cross-entropy (or ``auto`` on class labels) loss after a layer ending in softmax or
    in no activation (logits).

    Args:
        dataset: the loaded data when known (its task settles an ``auto`` loss).

    Raises:
        CompressionError: one line saying why the model is not a classifier.
    """
    doc = project.document
    out, feeder = _output_and_feeder(project)
    loss = doc.node(out).params.get("loss", "auto")
    task = getattr(dataset, "task", None)
    if loss in NOT_CLASSIFIER_LOSSES or (loss == "auto" and task == "regression"):
        what = loss if loss != "auto" else "auto (numeric targets: mse)"
        raise CompressionError(f"distillation needs a classifier output (softmax over classes); "
                               f"output {out} is trained with {what}")
    activation = doc.node(feeder).params.get("activation", "linear")
    if activation not in ("softmax", "linear"):
        raise CompressionError(f"distillation needs a classifier output ending in softmax or logits; "
                               f"{feeder}, the layer before output {out}, uses {activation}")


def logits_project(project: Project, dataset=None) -> tuple[Project, tuple[str, ...]]:
    """A copy of ``project`` whose model outputs logits.

    Returns:
        ``(copy, changed)``: ``changed`` lists the nodes whose softmax became linear
        (empty when the model already outputs logits); give it to :func:`with_softmax`.

    Raises:
        CompressionError: see :func:`check`.
    """
    check(project, dataset)
    copy = clone(project)
    _, feeder = _output_and_feeder(copy)
    changed: tuple[str, ...] = ()
    if copy.document.node(feeder).params.get("activation") == "softmax":
        copy.document.set_params(feeder, {"activation": "linear"})
        changed = (feeder,)
    return copy, changed


def slim_project(project: Project, width: float) -> Project:
    """A copy of ``project`` with every kernel layer but the class layer ``width`` times as wide.

    Each such node's width parameter (``units``, ``filters``: the block says which)
    becomes ``max(1, round(w * width))``; layers feeding the output keep theirs.

    Raises:
        CompressionError: ``width`` is not a number in (0, 1].
    """
    if isinstance(width, bool) or not isinstance(width, (int, float)) or not 0 < width <= 1:
        raise CompressionError(f"Expected a student width in (0, 1]. Received: width={width!r}")
    copy = clone(project)
    doc = copy.document
    for uid in list(compressible(doc)):
        param = doc.spec(uid).compression.width
        if not param or feeds_output(doc, uid):
            continue
        doc.set_params(uid, {param: max(1, round(doc.node(uid).params[param] * width))})
    return copy


def with_softmax(logits_project: Project, model, changed_uids):
    """Compile ``logits_project`` with softmax restored on ``changed_uids``, weights from ``model``.

    The student the user keeps then outputs probabilities, like the original model.

    Returns:
        the compiled graph (``engine.build.compiler.CompiledGraph``).
    """
    copy = clone(logits_project)
    for uid in changed_uids:
        copy.document.set_params(uid, {"activation": "softmax"})
    return rebuild(copy.document, model)


def distillation_loss(teacher_logits, student_logits, y, temperature: float, alpha: float) -> float:
    """The distillation loss in NumPy (for tests and reports), batch-averaged.

    Args:
        y: class indices of shape (n,), or one-hot rows shaped like the logits.
    """
    t = np.asarray(teacher_logits, np.float64)
    s = np.asarray(student_logits, np.float64)
    y = np.asarray(y)
    log_q = _log_softmax(s)
    if y.ndim == s.ndim:
        ce = -np.mean(np.sum(y * log_q, axis=-1))
    else:
        ce = -np.mean(np.take_along_axis(log_q, y.astype(int)[:, None], axis=-1))
    p = np.clip(np.exp(_log_softmax(t / temperature)), EPSILON, 1.0)
    q = np.clip(np.exp(_log_softmax(s / temperature)), EPSILON, 1.0)
    kl = np.mean(np.sum(p * np.log(p / q), axis=-1))
    return float(alpha * ce + (1.0 - alpha) * temperature ** 2 * kl)


def _log_softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.sum(np.exp(z), axis=-1, keepdims=True))


def make_distiller(teacher, student, *, temperature: float = 4.0, alpha: float = 0.3,
                   learning_rate: float = 1e-3, one_hot: bool = False):
    """A compiled ``keras.distillation.Distiller`` whose loss is :func:`distillation_loss`.

    Raises:
        CompressionError: a setting is out of range or the two models do not match.
    """
    _check_number("temperature", temperature, "0 < temperature", lambda v: v > 0)
    _check_number("alpha", alpha, "0 <= alpha <= 1", lambda v: 0 <= v <= 1)
    _check_number("learning_rate", learning_rate, "0 < learning_rate", lambda v: v > 0)
    import keras

    kind = keras.losses.CategoricalCrossentropy if one_hot else keras.losses.SparseCategoricalCrossentropy
    # The KLDivergence instance, not its name: only then does Keras apply the softmax and T^2.
    soft = keras.distillation.LogitsDistillation(temperature=float(temperature), loss=keras.losses.KLDivergence())
    try:
        distiller = keras.distillation.Distiller(teacher=teacher, student=student, distillation_losses=soft,
                                                 student_loss_weight=float(alpha))
    except ValueError as exc:
        raise CompressionError(f"teacher and student do not match: {_first_line(exc)}") from None
    distiller.compile(optimizer=keras.optimizers.Adam(float(learning_rate)), loss=kind(from_logits=True),
                      metrics=["accuracy"])
    return distiller


def distill(teacher, student, dataset, *, temperature: float = 4.0, alpha: float = 0.3, epochs: int = 10,
            batch_size: int = 32, learning_rate: float = 1e-3, seed: int = 0, callbacks=()) -> dict:
    """Train ``student`` in place to match ``teacher`` and the labels of ``dataset``.

    Both are Keras models that output logits (see :func:`logits_project`); the teacher
    is left as it was. ``callbacks`` (Keras callbacks: progress, stop) are given to fit.

    Returns:
        the fit history: metric name -> one value per epoch finished.

    Raises:
        CompressionError: a setting is out of range, the data is not class labels, or a
        model outputs probabilities.
    """
    for name, value in (("epochs", epochs), ("batch_size", batch_size)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise CompressionError(f"Expected {name} >= 1. Received: {name}={value!r}")
    if getattr(dataset, "task", "classification") != "classification":
        raise CompressionError("distillation needs a classifier output; the data has numeric targets")
    import keras

    splits = {split: (_fit_input(teacher, getattr(dataset, f"x_{split}")), getattr(dataset, f"y_{split}"))
              for split in ("train", "val")}
    x, y = splits["train"]
    for who, model in (("teacher", teacher), ("student", student)):
        if _gives_probabilities(model, x[:64]):
            raise CompressionError(f"the {who} outputs probabilities; distillation needs logits (use logits_project)")
    keras.utils.set_random_seed(int(seed))
    trainable = teacher.trainable
    try:
        distiller = make_distiller(teacher, student, temperature=temperature, alpha=alpha,
                                   learning_rate=learning_rate, one_hot=np.ndim(y) == 2 and np.shape(y)[-1] > 1)
        has_val = len(splits["val"][0]) > 0
        from engine.train.feed import batches, training_dataset

        # A seeded pipeline: Keras's own shuffle depends on the random ops the process made before.
        history = distiller.fit(training_dataset(x, y, batch_size, int(seed)), steps_per_epoch=batches(len(x), batch_size),
                                epochs=epochs, shuffle=False, verbose=0,
                                validation_data=splits["val"] if has_val else None, callbacks=list(callbacks))
    finally:
        teacher.trainable = trainable  # the Distiller freezes it
    return {k: [float(v) for v in vals] for k, vals in history.history.items()}


def _fit_input(model, x: np.ndarray) -> np.ndarray:
    want = tuple(model.inputs[0].shape[1:])
    if tuple(x.shape[1:]) == want:
        return x
    if int(np.prod(want)) == int(np.prod(x.shape[1:])):
        return x.reshape((len(x), *want))
    raise CompressionError(f"the model expects samples of shape {want}, the data has {tuple(x.shape[1:])}")


def _gives_probabilities(model, x: np.ndarray) -> bool:
    out = np.asarray(model([x], training=False))
    return out.shape[-1] > 1 and bool(np.all(out >= 0)) and bool(np.allclose(out.sum(axis=-1), 1.0, atol=1e-4))


def _check_number(name: str, value, rule: str, ok) -> None:
    good = (not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value) and ok(value))
    if not good:
        raise CompressionError(f"Expected {rule}. Received: {name}={value!r}")


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
