"""Distillation: Keras's Distiller computes our formula (T^2 included), graph copies, a short run."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engine.compress import distill as ds
from engine.compress.graph import clone, rebuild
from engine.errors import CompressionError

EXAMPLES = Path(__file__).resolve().parents[3] / "resources" / "examples"


def _tiny(weights, bias):
    import keras

    inp = keras.Input((3,))
    model = keras.Model(inp, keras.layers.Dense(4)(inp))
    model.layers[-1].set_weights([weights, bias])
    return model


@pytest.fixture(scope="module")
def pair():
    rng = np.random.default_rng(0)
    teacher = _tiny(rng.normal(size=(3, 4)) * 2, rng.normal(size=4))
    student = _tiny(rng.normal(size=(3, 4)), rng.normal(size=4))
    x = rng.normal(size=(6, 3)).astype("float32")
    y = np.array([0, 1, 2, 3, 1, 0])
    return teacher, student, x, y


@pytest.mark.parametrize(("temperature", "alpha"), [(2.0, 0.3), (5.0, 0.7)])
def test_distiller_loss_is_our_formula_with_t_squared(pair, temperature, alpha):
    teacher, student, x, y = pair
    distiller = ds.make_distiller(teacher, student, temperature=temperature, alpha=alpha)
    got = float(distiller.compute_loss(x=x, y=y, y_pred=student(x)))
    t_logits, s_logits = np.asarray(teacher(x)), np.asarray(student(x))
    want = ds.distillation_loss(t_logits, s_logits, y, temperature, alpha)
    assert got == pytest.approx(want, abs=1e-4)
    # Without T^2 the soft term is T^2 times smaller: the check above would catch a lost factor.
    ce = ds.distillation_loss(t_logits, s_logits, y, temperature, 1.0)
    soft = (want - alpha * ce) / ((1 - alpha) * temperature ** 2)
    without_t2 = alpha * ce + (1 - alpha) * soft
    assert abs(got - without_t2) > 0.1
    evaluated = distiller.evaluate(x, y, batch_size=len(x), verbose=0, return_dict=True)
    assert evaluated["loss"] == pytest.approx(want, abs=1e-4)


def test_numpy_formula_accepts_one_hot_labels(pair):
    teacher, student, x, y = pair
    t_logits, s_logits = np.asarray(teacher(x)), np.asarray(student(x))
    assert ds.distillation_loss(t_logits, s_logits, np.eye(4)[y], 3.0, 0.5) == pytest.approx(
        ds.distillation_loss(t_logits, s_logits, y, 3.0, 0.5))


@pytest.mark.parametrize(("kwargs", "word"), [({"temperature": 0.0}, "temperature"), ({"alpha": 1.5}, "alpha"),
                                               ({"learning_rate": -1.0}, "learning_rate")])
def test_bad_settings_are_one_line_errors(pair, kwargs, word):
    teacher, student, _, _ = pair
    with pytest.raises(CompressionError, match=word) as info:
        ds.make_distiller(teacher, student, **kwargs)
    assert "\n" not in str(info.value)


@pytest.fixture(scope="module")
def digits():
    from engine.data.datasets import DataConfig, load_dataset
    from engine.train.workflow import open_project

    return open_project(EXAMPLES / "digits_cnn.sprout"), load_dataset(DataConfig.from_dict({"source": "digits"}))


def test_logits_project_outputs_the_logits_of_the_same_model(digits):
    from engine.build.compiler import compile_document

    project, data = digits
    original = compile_document(project.document)
    logits, changed = ds.logits_project(project)
    assert changed == ("n9",)
    assert project.document.node("n9").params["activation"] == "softmax"  # the original is untouched
    compiled = rebuild(logits.document, original.model)
    assert compiled.outputs[0].from_logits
    x = data.x_test[:16]
    probs = np.asarray(original.model([x], training=False))
    z = np.asarray(compiled.model([x], training=False))
    softmax = np.exp(z - z.max(axis=1, keepdims=True))
    np.testing.assert_allclose(softmax / softmax.sum(axis=1, keepdims=True), probs, atol=1e-5)
    again, none = ds.logits_project(logits)  # logits already: nothing to change
    assert none == () and again.document.node("n9").params["activation"] == "linear"


@pytest.mark.parametrize("loss", ["mse", "mae", "binary_crossentropy"])
def test_a_regression_output_is_refused_in_one_line(digits, loss):
    project, _ = digits
    regression = clone(project)
    regression.document.set_params("n10", {"loss": loss})
    with pytest.raises(CompressionError, match="distillation needs a classifier output") as info:
        ds.check(regression)
    assert "\n" not in str(info.value)
    with pytest.raises(CompressionError, match="distillation needs a classifier output"):
        ds.logits_project(regression)


def test_auto_loss_on_numeric_targets_and_a_sigmoid_class_layer_are_refused(digits):
    project, data = digits
    from dataclasses import replace

    with pytest.raises(CompressionError, match="classifier output"):
        ds.check(project, replace(data, task="regression"))
    sigmoid = clone(project)
    sigmoid.document.set_params("n9", {"activation": "sigmoid"})
    with pytest.raises(CompressionError, match="n9.*sigmoid"):
        ds.check(sigmoid)
    ds.check(project, data)  # the example itself is fine


def test_slim_project_halves_every_width_but_the_class_layer(digits):
    from engine.build.compiler import compile_document

    project, _ = digits
    slim = ds.slim_project(project, 0.5)
    params = {uid: slim.document.node(uid).params for uid in ("n2", "n4", "n8", "n9")}
    assert [params["n2"]["filters"], params["n4"]["filters"], params["n8"]["units"]] == [16, 32, 32]
    assert params["n9"]["units"] == 10
    assert project.document.node("n2").params["filters"] == 32
    small, big = compile_document(slim.document).model, compile_document(project.document).model
    assert small.count_params() < big.count_params() / 2
    assert ds.slim_project(project, 0.01).document.node("n2").params["filters"] == 1


@pytest.mark.parametrize("width", [0, 1.5, -0.5, True, "0.5"])
def test_slim_project_refuses_a_width_outside_0_1(digits, width):
    with pytest.raises(CompressionError, match="width"):
        ds.slim_project(digits[0], width)


def _accuracy(model, x, y) -> float:
    return float(np.mean(np.argmax(np.asarray(model.predict(x, verbose=0)), axis=1) == y))


def test_a_short_distillation_teaches_the_slim_student(digits):
    import keras

    from engine.build.compiler import compile_document

    project, data = digits
    keras.utils.set_random_seed(0)
    logits, changed = ds.logits_project(project, data)
    teacher = compile_document(logits.document).model
    teacher.compile(optimizer=keras.optimizers.Adam(3e-3),
                    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    teacher.fit(data.x_train, data.y_train, epochs=3, batch_size=64, verbose=0)
    student_project = ds.slim_project(logits, 0.5)
    student = compile_document(student_project.document).model
    before = _accuracy(student, data.x_test, data.y_test)

    epochs_seen = []
    callback = keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: epochs_seen.append(epoch))
    history = ds.distill(teacher, student, data, temperature=4.0, alpha=0.3, epochs=3, batch_size=64,
                         learning_rate=3e-3, callbacks=[callback])
    assert epochs_seen == [0, 1, 2]
    assert len(history["loss"]) == 3 and "val_accuracy" in history and "distillation_loss" in history
    assert teacher.trainable  # the Distiller froze it for training only
    after = _accuracy(student, data.x_test, data.y_test)
    assert after > before + 0.4, (before, after)

    kept = ds.with_softmax(student_project, student, changed)
    probs = np.asarray(kept.model([data.x_test[:32]], training=False))
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-5)
    assert not kept.outputs[0].from_logits
    assert _accuracy(kept.model, data.x_test, data.y_test) == pytest.approx(after)

    with pytest.raises(CompressionError, match="teacher outputs probabilities"):
        ds.distill(kept.model, student, data, epochs=1)
