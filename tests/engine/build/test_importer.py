"""Importing Keras model files (issue 13): round trips, foreign models, refusals, partial imports."""
from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest

from blocks.registry import default_registry
from engine.build.import_job import ImportOptions, import_job
from engine.build.importer import ModelImportError, map_model
from engine.build.modelio import ModelFileError, load_model, save_model
from engine.model.project import load_project
from tests.conftest import ROOT

EXAMPLES = sorted((ROOT / "resources" / "examples").glob("*.sprout"))
REGISTRY = default_registry()


@pytest.fixture(scope="module")
def keras():
    import keras

    from blocks import register_keras_objects

    register_keras_objects()
    return keras


def _layer_graph(doc):
    """Blocks, params and links of the layer graph (technique nodes are no part of a Keras model)."""
    nodes = {u: (n.block, n.params) for u, n in doc.nodes.items() if doc.spec(u).role != "technique"}
    links = sorted((lk.source, lk.source_port, lk.target, lk.target_port) for lk in doc.links())
    return nodes, links


def _predict(model, xs):
    with warnings.catch_warnings():  # a model built on [input] nags about a bare tensor
        warnings.filterwarnings("ignore", message="The structure of `inputs`", category=UserWarning)
        y = model(xs if len(xs) > 1 else xs[0], training=False)
    return [np.asarray(t) for t in (y if isinstance(y, (list, tuple)) else [y])]


def _samples(model, n=3, seed=0):
    rng = np.random.default_rng(seed)
    out = []
    for t in model.inputs:
        shape = (n, *t.shape[1:])
        out.append(rng.integers(0, 2, size=shape).astype("int32") if "int" in str(t.dtype)
                   else rng.normal(size=shape).astype("float32"))
    return out


def _import(path, tmp_path, **kw):
    return import_job(path, ImportOptions(tmp_path / f"{Path(path).stem}.sprout", **kw))


def _same_predictions(model, result):
    """The run's saved model.keras predicts what the original model predicts."""
    again = load_model(result.run_folder / "model.keras")
    xs = _samples(model)
    by_name = dict(zip([t.name for t in model.inputs], xs))
    ys = [by_name.get(t.name, x) for t, x in zip(again.inputs, xs)]
    for a, b in zip(_predict(model, xs), _predict(again, ys), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


def test_every_example_round_trips_with_its_weights(keras, tmp_path):
    from engine.build.compiler import compile_document

    for path in EXAMPLES:
        project = load_project(path, REGISTRY)
        model = compile_document(project.document).model
        model_file = save_model(model, tmp_path / f"{path.stem}.keras")
        result = _import(model_file, tmp_path)
        imported = load_project(result.project_path, REGISTRY)
        assert _layer_graph(imported.document) == _layer_graph(project.document), path.stem
        assert result.max_difference < 1e-5, path.stem
        _same_predictions(model, result)
        record = imported.runs[0]
        assert record["stop_reason"] == "imported" and record["folder"].startswith(f"{path.stem}.runs/")
        assert {"model.keras", "graph.sprout", "run.json", "summary.json"} <= {
            p.name for p in result.run_folder.iterdir()}


def _foreign_models(keras):
    L = keras.layers
    cnn = keras.Sequential([keras.Input((8, 8, 1)), L.Conv2D(4, 3, activation="relu", padding="same"),
                            L.MaxPooling2D(), L.BatchNormalization(), L.Flatten(), L.Dropout(0.2),
                            L.Dense(10, activation="softmax")], name="seq_cnn")
    a, b = keras.Input((6,), name="a"), keras.Input((6,), name="b")
    h = L.Dense(6, activation="tanh")(a)
    skip = L.Add()([h, a])
    joined = L.Concatenate()([skip, L.Dense(4)(b)])
    two = keras.Model([a, b], L.Dense(3)(joined), name="skip_two_inputs")
    tokens = keras.Input((5,), dtype="int32")
    e = L.Embedding(20, 4)(tokens)
    lstm = keras.Model(tokens, L.Dense(2, activation="sigmoid")(L.LSTM(8)(L.LayerNormalization()(e))),
                       name="lstm_classifier")
    x = keras.Input((4,))
    acts = keras.Model(x, L.Dense(3, activation="hard_silu")(L.Dense(5, activation="gelu")(x)), name="activations")
    return [cnn, two, lstm, acts]


def test_models_built_in_keras_import_compile_back_and_predict_the_same(keras, tmp_path):
    for model in _foreign_models(keras):
        result = _import(save_model(model, tmp_path / f"{model.name}.keras"), tmp_path)
        assert result.max_difference < 1e-5, model.name
        _same_predictions(model, result)
    rows = {r.layer: r for r in result.rows}  # the last model: an activation no Dense holds
    hard = next(r for r in rows.values() if "paper.hard_swish" in r.block)
    assert hard.block == "core.dense + paper.hard_swish" and "then a Hard swish node" in hard.notes[-1]


def test_nested_sequential_is_flattened(keras):
    L = keras.layers
    inner = keras.Sequential([L.Dense(4, activation="relu"), L.Dense(3)], name="inner")
    x = keras.Input((5,))
    model = keras.Model(x, L.Dense(2)(inner(x)))
    mapping = map_model(model, REGISTRY)
    assert [r.block for r in mapping.rows][:4] == ["core.input", "core.dense", "core.dense", "core.dense"]


def test_h5_imports_the_same_as_keras(keras, tmp_path):
    model = _foreign_models(keras)[1]
    graphs = []
    for suffix in (".keras", ".h5"):
        mapping = map_model(load_model(save_model(model, tmp_path / f"m{suffix}")), REGISTRY)
        graphs.append(_layer_graph(mapping.document))
    assert graphs[0] == graphs[1]


def test_a_lambda_is_refused_and_never_runs(keras, tmp_path):
    marker = str(tmp_path / "ran.txt")
    x = keras.Input((3,))
    model = keras.Model(x, keras.layers.Lambda(lambda t: (open(marker, "w").close(), t)[1])(x))
    path = tmp_path / "lam.keras"
    model.save(path)
    Path(marker).unlink(missing_ok=True)  # building traced the function; from here on nothing may run it
    with pytest.raises(ModelFileError, match="Lambda"):
        _import(path, tmp_path)
    assert not Path(marker).exists() and not (tmp_path / "lam.sprout").exists()


def _unmapped(keras):
    L = keras.layers
    x = keras.Input((4, 4, 4, 1))
    y = L.Conv3D(2, 2, name="c3a")(x)
    y = L.Conv3D(2, 2, name="c3b")(y)
    y = L.Reshape((2, 2, 2, 2, 1), name="shape")(y)  # 5 axes: more than a Sprout Reshape holds
    y = L.Flatten()(y)
    return keras.Model(x, L.Dense(3, kernel_regularizer="l2")(y), name="unmapped")


def test_layers_without_a_block_refuse_with_the_list(keras, tmp_path):
    path = save_model(_unmapped(keras), tmp_path / "u.keras")
    with pytest.raises(ModelImportError, match=r"no block for: Conv3D \(2\), Reshape \(1: Expected"):
        _import(path, tmp_path)
    assert not (tmp_path / "u.sprout").exists()


def test_a_partial_import_keeps_them_opaque_and_predicts_the_same(keras, tmp_path):
    model = _unmapped(keras)
    result = _import(save_model(model, tmp_path / "u.keras"), tmp_path, partial=True)
    assert result.opaque == {"Conv3D": 2, "Reshape": 1}
    _same_predictions(model, result)
    project = load_project(result.project_path, REGISTRY)
    kept = json.loads(project.document.node("c3a").params["layer"])
    assert kept["class_name"] == "Conv3D" and kept["config"]["filters"] == 2
    dense = next(r for r in result.rows if r.keras_class == "Dense")
    assert any("kernel_regularizer" in n for n in dense.notes)  # reported, not silently lost


def test_a_shared_layer_is_refused(keras):
    x = keras.Input((4,))
    shared = keras.layers.Dense(4)
    with pytest.raises(ModelImportError, match="called 2 times"):
        map_model(keras.Model(x, shared(shared(x))), REGISTRY)


def test_the_imported_run_compresses_and_exports_to_tflite(keras, tmp_path):
    from engine.compress.job import compress_job
    from engine.compress.plan import parse_plan
    from engine.export.job import export_job
    from engine.export.options import ExportOptions
    from engine.export.source import resolve_source, run_source

    L = keras.layers
    model = keras.Sequential([keras.Input((8, 8, 1)), L.Conv2D(4, 3, activation="relu"), L.Flatten(),
                              L.Dense(10)], name="digits")
    result = _import(save_model(model, tmp_path / "digits.keras"), tmp_path)
    assert resolve_source(result.run_folder).kind == "run"
    exported = export_job(run_source(result.run_folder), ExportOptions.parse("tflite", "int8"), tmp_path / "export")
    assert exported.ok
    plan = parse_plan({"steps": [{"method": "prune", "sparsity": 0.5}, {"method": "quantize", "mode": "dynamic"}]})
    compressed = compress_job(result.run_folder, plan, tmp_path / "compressed")
    assert not compressed.stopped
    base, steps = compressed.report["baseline"], compressed.report["steps"]
    assert [r["method"] for r in steps] == ["prune", "quantize"] and all(r["error"] is None for r in [base, *steps])
    assert steps[0]["nonzero_params"] < 0.6 * base["nonzero_params"]
    assert steps[1]["size_bytes"] < 0.6 * base["size_bytes"] and steps[1]["accuracy"] is not None  # int8 weights
