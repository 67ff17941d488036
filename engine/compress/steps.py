"""One function per plan method, each ``(state, ctx, step, original) -> state``.

``original`` is the state the plan started from (the distillation teacher). The
methods' own modules hold the mathematics; here they are joined to the state: which
model and graph come out, which pruning masks still hold, how the TFLite is converted.
"""
from __future__ import annotations

import math

from engine.compress import distill, graph, lowrank
from engine.compress.context import Context, State, fine_tune, guard
from engine.compress.prune import prune
from engine.errors import CompressionError


def quantize(state: State, ctx: Context, step: dict, original: State) -> State:
    """Post-training float16 / dynamic / int8 (the converter does it), or QAT then int8."""
    mode = step["mode"]
    if mode != "qat":
        state.variant = mode
        state.notes.append(f"post-training {mode} quantization (TFLite converter"
                           + (", 200 calibration samples)" if mode == "int8" else ")"))
        return state
    from engine.compress.qat import qat_model

    state.model = qat_model(state.model, x_calibrate=ctx.dataset.x_train[:512])
    epochs = int(step.get("fine_tune_epochs", 1))
    fine_tune(state, ctx, epochs, step.get("learning_rate"))
    state.variant = "int8"
    state.notes.append(f"quantization-aware fine-tuning, {epochs} epochs, then int8")
    return state


def distill_step(state: State, ctx: Context, step: dict, original: State) -> State:
    """Teach a student (slimmer copy, the current model, or a project file) from the original."""
    if original.project is None:
        raise CompressionError("distillation needs the model's graph (a run or a project), not a bare model file")
    teacher_project, _ = distill.logits_project(original.project, ctx.dataset)
    teacher = graph.rebuild(teacher_project.document, original.model).model
    choice = step.get("student", "slim")
    if choice == "previous":
        base, weights_from = state.project, state.model
    elif choice == "slim":
        base, weights_from = distill.slim_project(state.project, float(step["width"])), None
    else:
        from engine.train.workflow import open_project

        base, weights_from = open_project(choice), None
    student_project, changed = distill.logits_project(base, ctx.dataset)
    import keras

    keras.utils.set_random_seed(ctx.config.seed)
    student = graph.rebuild(student_project.document, weights_from).model
    epochs = int(step["epochs"])
    batches = max(1, math.ceil(len(ctx.dataset.x_train) / ctx.config.batch_size))
    callback = guard(ctx, epochs, batches)
    distill.distill(teacher, student, ctx.dataset, temperature=step["temperature"], alpha=step["alpha"],
                    epochs=epochs, batch_size=ctx.config.batch_size,
                    learning_rate=step.get("learning_rate") or ctx.config.learning_rate, seed=ctx.config.seed,
                    callbacks=[callback])
    restored = graph.clone(student_project)
    for uid in changed:
        restored.document.set_params(uid, {"activation": "softmax"})
    state.model = graph.rebuild(restored.document, student).model
    state.project, state.masks = restored, {}
    state.notes.append(f"distilled into {'a ' + format(step['width'], 'g') + 'x slimmer copy' if choice == 'slim' else choice} "
                       f"({state.model.count_params():,} params; T={step['temperature']:g}, alpha={step['alpha']:g}, "
                       f"{epochs} epochs)")
    return state


def factorize(state: State, ctx: Context, step: dict, original: State) -> State:
    """Low-rank factors for Dense (SVD) and Conv2D (Tucker-2), the graph rewritten, then fine-tuning."""
    if state.project is None:
        raise CompressionError("factorization needs the model's graph (a run or a project), not a bare model file")
    project, overrides, notes = lowrank.factorize(state.project, state.model, step)
    state.model = graph.rebuild(project.document, state.model, overrides).model
    state.project = project
    state.masks = {k: m for k, m in state.masks.items() if k not in overrides}
    state.notes += notes
    fine_tune(state, ctx, int(step.get("fine_tune_epochs", 0)), step.get("learning_rate"))
    return state


def prune_step(state: State, ctx: Context, step: dict, original: State) -> State:
    """Magnitude pruning (see :mod:`engine.compress.prune`)."""
    return prune(state, ctx, step)


METHODS = {"prune": prune_step, "quantize": quantize, "distill": distill_step, "factorize": factorize}
