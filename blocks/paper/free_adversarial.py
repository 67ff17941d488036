"""Free adversarial training (Shafahi et al., NeurIPS 2019, Algorithm 1) and a PGD robustness check.

A standalone technique node: it has no ports and changes how the model trains. Every
minibatch is replayed ``m`` times; each replay does ONE forward/backward pass on
``clip(x + delta)`` and uses that single backward pass twice: the weight gradient goes to
the optimizer and the input gradient moves the perturbation one FGSM step,
``delta <- clip(delta + eps * sign(grad_x), -eps, eps)``. Both updates use the gradient
at the old ``delta``. ``delta`` is carried over from minibatch to minibatch (it is only
zeroed once, when training starts) and the trainer divides the epochs by ``m``, so the
number of forward/backward passes equals natural training's: robustness "for free".
Each replay is one optimizer step, so a learning-rate schedule (cyclical LR) is sized in
optimizer steps, batches x m per epoch, as in the authors' code; the trainer reads m from
``epoch_divisor``.

``delta`` is a non-trainable ``tf.Variable`` owned by the train step (not by the model, so
it is neither trained nor saved). Its first axis grows to the largest batch seen; a
smaller batch (the last one of an epoch) uses and updates only the first rows, as the
authors' code does. Because that first axis is known only at run time, the step turns
XLA off (``jit_compile``), which cannot compile a variable whose shape changes.
"""
from __future__ import annotations

import numpy as np

from blocks.spec import BlockSpec, ParamError, ParamSpec, ShapeError, TrainingHooks

PGD_STEPS = 10  # Madry et al. attack steps for the test-set robustness check
PGD_SEED = 0


def _check(params, in_shapes):
    if not params["clip_min"] < params["clip_max"]:
        raise ParamError("clip_max", "Expected clip_min < clip_max (the data range). Received: "
                                     f"clip_min={params['clip_min']}, clip_max={params['clip_max']}")
    return []


def make_train_step(model, epsilon: float, replays: int, clip_min: float, clip_max: float):
    """A Keras ``train_step(data)`` doing free adversarial training on ``model``.

    Args:
        model: a compiled single-input model (the trainer's ``prepare_model`` compiles it).
        epsilon: L-inf bound of delta and the FGSM step of each replay.
        replays: m, the replays of each minibatch (one optimizer step each).
        clip_min, clip_max: the data range that ``x + delta`` is clipped to.

    The returned function carries ``.delta`` (the perturbation variable) and ``.replays``
    for inspection. Metrics are updated after every replay, so the logged loss and
    accuracy are those of the perturbed training batches averaged over all replays.

    Raises:
        ShapeError: when the model's input is not a float tensor of fixed sample shape.
    """
    import keras
    import tensorflow as tf

    if len(model.inputs) != 1:
        raise ShapeError(f"Expected a model with one input for free adversarial training. "
                         f"Received: {len(model.inputs)} inputs")
    sample_shape = tuple(model.inputs[0].shape[1:])
    dtype = model.inputs[0].dtype
    if None in sample_shape or not str(dtype).startswith(("float", "bfloat")):
        raise ShapeError("Expected a float input with a fixed sample shape for free adversarial training "
                         f"(it perturbs input values). Received: shape={sample_shape}, dtype={dtype}")
    delta = tf.Variable(tf.zeros((0, *sample_shape), dtype), shape=tf.TensorShape([None, *sample_shape]),
                        trainable=False, name="free_adversarial_delta")
    if model.jit_compile:
        model.jit_compile = False  # XLA needs a fixed variable shape; delta's first axis grows

    def _grow(n):
        missing = tf.maximum(n - tf.shape(delta)[0], 0)
        delta.assign(tf.concat([delta, tf.zeros(tf.concat([[missing], sample_shape], 0), dtype)], 0))
        return tf.constant(True)

    def step(data):
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        x = tf.cast(x, dtype)
        n = tf.shape(x)[0]
        tf.cond(n > tf.shape(delta)[0], lambda: _grow(n), lambda: tf.constant(False))
        weights = model.trainable_weights

        def replay(i):
            d = delta[:n]
            with tf.GradientTape() as tape:
                tape.watch(d)
                x_adv = tf.clip_by_value(x + d, clip_min, clip_max)
                y_pred = model(x_adv, training=True)
                loss = model._compute_loss(x=x_adv, y=y, y_pred=y_pred, sample_weight=sample_weight,
                                           training=True)
                if model._loss_tracker is not None:
                    model._loss_tracker.update_state(loss, sample_weight=n)
                scaled = model.optimizer.scale_loss(loss)
            grads = tape.gradient(scaled, [*weights, d])
            # Both updates use this one backward pass, taken at the OLD delta.
            model.optimizer.apply_gradients(zip(grads[:-1], weights))
            new_d = tf.clip_by_value(d + epsilon * tf.sign(grads[-1]), -epsilon, epsilon)
            delta.assign(tf.concat([new_d, delta[n:]], 0))
            model.compute_metrics(x_adv, y, y_pred, sample_weight=sample_weight)
            return (i + 1,)

        # A graph loop, not m unrolled copies: tracing stays as quick as natural training's.
        tf.while_loop(lambda i: i < replays, replay, (tf.constant(0),), parallel_iterations=1)
        return model.get_metrics_result()

    step.delta = delta
    step.replays = replays
    return step


def pgd_attack(model, x, y, eps, steps, step_size, clip_min=0.0, clip_max=1.0, seed=0, batch_size=512):
    """Projected gradient descent (Madry et al., 2018) in the L-inf ball of radius ``eps``.

    Starts at a uniform random point of the ball, takes ``steps`` signed-gradient ascent
    steps of ``step_size`` on the model's compiled loss (sparse cross-entropy if the model
    has none), projecting back onto the ball and the data range after each step.

    Args:
        eps: L-inf radius in the data's units; ``step_size`` is usually 2.5 * eps / steps.
        clip_min, clip_max: the valid data range; adversarial inputs never leave it.
        seed: seeds the random start, so the attack is repeatable.

    Returns:
        The adversarial inputs as float32 numpy, shaped like ``x``.
    """
    import keras
    import tensorflow as tf

    x = np.asarray(x, dtype="float32")
    loss_fn = model.loss if callable(getattr(model, "loss", None)) else keras.losses.SparseCategoricalCrossentropy()
    rng = np.random.default_rng(seed)
    out = np.empty_like(x)
    for start in range(0, len(x), batch_size):
        xb = tf.constant(x[start:start + batch_size])
        yb = tf.constant(np.asarray(y)[start:start + batch_size])
        lo = tf.maximum(xb - eps, clip_min)  # the ball intersected with the data range
        hi = tf.minimum(xb + eps, clip_max)
        adv = tf.clip_by_value(xb + rng.uniform(-eps, eps, xb.shape).astype("float32"), lo, hi)
        for _ in range(steps):
            with tf.GradientTape() as tape:
                tape.watch(adv)
                loss = loss_fn(yb, model(adv, training=False))
            adv = tf.clip_by_value(adv + step_size * tf.sign(tape.gradient(loss, adv)), lo, hi)
        out[start:start + len(xb)] = adv.numpy()
    return out


def _evaluate(params):
    eps, steps = params["epsilon"], PGD_STEPS

    def evaluate(model, x, y):
        adv = pgd_attack(model, x, y, eps, steps, 2.5 * eps / steps, params["clip_min"], params["clip_max"],
                         PGD_SEED)
        res = model.evaluate(adv, y, batch_size=512, verbose=0, return_dict=True)
        out = {"pgd_loss": float(res["loss"]), "pgd_epsilon": eps, "pgd_steps": steps}
        if "accuracy" in res:
            out["pgd_accuracy"] = float(res["accuracy"])
        return out

    return evaluate


def _hooks(params):
    return TrainingHooks(
        train_step=lambda model, default_step: make_train_step(
            model, params["epsilon"], params["replays"], params["clip_min"], params["clip_max"]),
        epoch_divisor=params["replays"], steps_per_batch=params["replays"], evaluate=_evaluate(params))


SPEC = BlockSpec(
    id="paper.free_adversarial", role="technique", title="Free adversarial training", category="Paper techniques",
    doc="Trains the model to resist small worst-case input changes (adversarial examples) at about the "
        "cost of ordinary training. Place it anywhere on the canvas; it needs no links. Each minibatch "
        "is replayed m times; every replay's single backward pass both updates the weights and pushes a "
        "perturbation delta (kept within +-epsilon, carried from batch to batch) in the direction that "
        "raises the loss. The epochs you set are divided by m, so the total work equals natural "
        "training. epsilon is in the data's units (digits are scaled to [0, 1]: 0.1 is about 1.6 grey "
        "levels); clip_min/clip_max are the data range. After training, the test set is attacked with "
        f"{PGD_STEPS}-step PGD at the same epsilon (step 2.5*epsilon/{PGD_STEPS}, random start) and "
        "pgd_accuracy is reported next to the clean accuracy. Expect a small drop in clean accuracy "
        "in exchange for robustness; a larger epsilon trades more.",
    inputs=(), outputs=(),
    params=(ParamSpec("epsilon", "float", 0.1, "Largest change of any input value (L-inf radius), in "
                      "the data's units; also the FGSM step of each replay.", low=0.0, low_open=True),
            ParamSpec("replays", "int", 4, "m: how many times each minibatch is replayed; the epochs "
                      "are divided by m.", low=1, high=64),
            ParamSpec("clip_min", "float", 0.0, "Smallest valid input value (perturbed inputs are clipped)."),
            ParamSpec("clip_max", "float", 1.0, "Largest valid input value (perturbed inputs are clipped).")),
    infer_shape=_check, build=None, training=_hooks,
    pros="Adversarial robustness for about the cost of natural training: the gradient of one backward "
         "pass is reused for the weights and the perturbation; little extra memory; several adversarial "
         "updates per minibatch.",
    cons="Clean accuracy usually drops a little; m and epsilon need tuning (too many replays over-fit "
         "each minibatch); not tested together with other adversarial defences.",
    reference="Shafahi, A., Najibi, M., Ghiasi, A., Xu, Z., Dickerson, J., Studer, C., Davis, L. S., "
              "Taylor, G., Goldstein, T. Adversarial Training for Free! NeurIPS 2019.",
)
