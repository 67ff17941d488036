"""Pruning: exact sparsity (per layer and global), kept through fine-tuning (XLA on and off),
saving and reloading; structured pruning rebuilds smaller layers with the same predictions."""
from __future__ import annotations

import numpy as np
import pytest

from engine.compress import graph
from engine.compress.context import Context, State, count_params
from engine.compress.prune import magnitude_masks, polynomial, prune, sparsity_of
from engine.data.datasets import DataConfig, load_dataset
from engine.errors import CompressionError
from engine.train.config import TrainConfig
from engine.train.workflow import open_project


@pytest.fixture(scope="module")
def digits():
    data = load_dataset(DataConfig.from_dict({"source": "digits"}))
    data.x_train, data.y_train = data.x_train[:256], data.y_train[:256]  # fine-tuning is not the subject
    return data


def _cnn(example_path, seed=0):
    import keras

    from engine.build.compiler import compile_document

    project = open_project(example_path("digits_cnn"))
    keras.utils.set_random_seed(seed)
    return project, compile_document(project.document).model


def test_masks_prune_exactly_the_requested_fraction():
    rng = np.random.default_rng(0)
    kernels = {"a": rng.normal(size=(30, 7)), "b": 5 * rng.normal(size=(3, 3, 4, 9))}
    for s in (0.3, 0.5, 0.8, 0.9):
        per_layer = magnitude_masks(kernels, s, "layer")
        for name, k in kernels.items():
            assert int((per_layer[name] == 0).sum()) == round(s * k.size)
        glob = magnitude_masks(kernels, s, "global")
        total = sum(k.size for k in kernels.values())
        assert sum(int((m == 0).sum()) for m in glob.values()) == round(s * total)
        # One threshold: layer a (small weights) loses more than layer b.
        assert (glob["a"] == 0).mean() > (glob["b"] == 0).mean()
        # The kept weights are the largest ones.
        kept = np.abs(kernels["a"])[per_layer["a"] == 1].min()
        assert kept >= np.abs(kernels["a"])[per_layer["a"] == 0].max()


def test_polynomial_schedule_numbers():
    assert polynomial(0, 100, 0.8) == 0.0
    assert polynomial(100, 100, 0.8) == pytest.approx(0.8)
    assert polynomial(50, 100, 0.8) == pytest.approx(0.8 * (1 - 0.5 ** 3))
    assert polynomial(500, 100, 0.8) == pytest.approx(0.8)


@pytest.mark.parametrize("jit", [False, True])
def test_sparsity_survives_fine_tuning_saving_and_reloading(example_path, digits, tmp_path, jit, monkeypatch):
    from engine.build.modelio import load_model, save_model
    from engine.compress import context

    project, model = _cnn(example_path)
    ctx = Context(digits, TrainConfig(batch_size=64))
    real = context.fine_tune
    monkeypatch.setattr("engine.compress.prune.fine_tune",
                        lambda *a, **k: real(*a, **{**k, "jit_compile": jit}))
    state = prune(State(model, project), ctx, {"method": "prune", "sparsity": 0.8, "fine_tune_epochs": 1, "scope": "layer",
                                               "schedule": "polynomial"})
    names = set(graph.compressible(project.document))
    for name, s in sparsity_of(state.model, names).items():
        size = np.asarray(state.model.get_layer(name).kernel).size
        assert s == pytest.approx(round(0.8 * size) / size), name
    before = {n: np.asarray(state.model.get_layer(n).kernel) for n in names}
    # A later step's fine-tuning (here: one more epoch) keeps the zeros exactly.
    context.fine_tune(state, ctx, 1, jit_compile=jit)
    for n in names:
        k = np.asarray(state.model.get_layer(n).kernel)
        assert np.all(k[before[n] == 0] == 0)
        assert not np.allclose(k, before[n])  # it did train
    path = save_model(state.model, tmp_path / "pruned.keras")
    again = load_model(path)
    for n in names:
        assert np.array_equal(np.asarray(again.get_layer(n).kernel), np.asarray(state.model.get_layer(n).kernel))
        assert again.get_layer(n).kernel.constraint is None


def test_global_scope_hits_the_total(example_path, digits):
    project, model = _cnn(example_path)
    state = prune(State(model, project), Context(digits, TrainConfig()),
                  {"method": "prune", "sparsity": 0.7, "scope": "global"})
    layers = [state.model.get_layer(n) for n in graph.compressible(project.document)]
    total = sum(np.asarray(x.kernel).size for x in layers)
    zeros = sum(int((np.asarray(x.kernel) == 0).sum()) for x in layers)
    assert zeros == round(0.7 * total)


def test_structured_pruning_is_smaller_and_predicts_like_the_masked_original(example_path, digits):
    project, model = _cnn(example_path)
    x = digits.x_test[:64]
    ref_params = model.count_params()
    state = prune(State(model, project), Context(digits, TrainConfig()),
                  {"method": "prune", "sparsity": 0.5, "structured": True})
    doc = state.project.document
    assert doc.node("n2").params["filters"] == 16 and doc.node("n4").params["filters"] == 32
    assert doc.node("n8").params["units"] == 32 and doc.node("n9").params["units"] == 10  # class layer whole
    assert state.model.count_params() < 0.45 * ref_params
    assert count_params(state.model)[0] == state.model.count_params()
    # The masked original: the removed filters' kernels and biases zeroed (ReLU makes them 0).
    masked = graph.rebuild(project.document, model).model
    dropped_inputs, prev_width = None, 0  # channels of the previous layer that are gone: their rows do not count
    for uid, width in (("n2", 32), ("n4", 64), ("n8", 64)):
        kept_width = doc.node(uid).params["filters" if uid != "n8" else "units"]
        kernel, bias = (np.asarray(w) for w in masked.get_layer(uid).get_weights())
        if dropped_inputs is not None:
            rows = np.isin(np.arange(kernel.shape[-2]) % prev_width, dropped_inputs)
            kernel[..., rows, :] = 0
        norms = np.abs(kernel.reshape(-1, width)).sum(axis=0)
        drop = np.argsort(-norms, kind="stable")[kept_width:]
        kernel[..., drop] = 0
        bias[drop] = 0
        masked.get_layer(uid).set_weights([kernel, bias])
        dropped_inputs, prev_width = drop, width
    np.testing.assert_allclose(state.model.predict(x, verbose=0), masked.predict(x, verbose=0), atol=1e-5)


def test_structured_pruning_keeps_layers_feeding_an_add(example_path, digits, registry):
    import keras

    from engine.build.compiler import compile_document

    project = open_project(example_path("residual_cnn"))
    keras.utils.set_random_seed(0)
    model = compile_document(project.document).model
    state = prune(State(model, project), Context(digits, TrainConfig()),
                  {"method": "prune", "sparsity": 0.5, "structured": True})
    assert any("kept whole" in n and "mixes channels" in n for n in state.notes), state.notes
    assert state.model.count_params() <= model.count_params()


def test_structured_pruning_needs_a_graph(example_path, digits):
    _, model = _cnn(example_path)
    with pytest.raises(CompressionError, match="needs the model's graph"):
        prune(State(model, None), Context(digits, TrainConfig()), {"sparsity": 0.5, "structured": True})
