"""The ``python`` export: a plain-Keras script that runs, and predicts the same, where Sprout is not installed.

Four examples (a table with standardization, OctConv, a Zoneout LSTM, Swish), trained and
exported once per session (conftest.py, shared with the other export tests); then ONE fresh Python that cannot import Sprout runs every exported script
on the raw test inputs. Its predictions are compared with the run's own ``.keras`` model,
loaded by Sprout in this process.
"""
from __future__ import annotations

import ast
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from engine.export.formats import formats
from tests.conftest import EXAMPLES, ROOT

NAMES = ("iris_mlp", "digits_octconv", "seq_digits_zoneout", "digits_swish")
LAYERS = {"iris_mlp": set(), "digits_octconv": {"OctConv2D", "OctaveBatchNormAct"},
          "seq_digits_zoneout": {"ZoneoutLSTM"}, "digits_swish": {"Swish"}}
BLOCKED = ("blocks", "engine", "cli", "gui")

# The test's own isolation (not the format's): drop the checkout from sys.path and block
# Sprout's packages by name (the venv holds an editable install), then run each script.
RUN = f"""
import json, os, runpy, sys
import numpy as np
root, jobs = sys.argv[1], json.loads(sys.argv[2])
sys.path[:] = [p for p in sys.path if os.path.realpath(p or os.curdir) != os.path.realpath(root)]
for name in {BLOCKED!r}:
    sys.modules[name] = None
for name in {BLOCKED!r}:
    try:
        __import__(name)
    except ImportError:
        continue
    raise SystemExit("Sprout is importable: " + name)
import keras
report = {{}}
for job in jobs:
    sys.modules.pop("sprout_layers", None)
    module = runpy.run_path(os.path.join(job["folder"], "model.py"), run_name="exported")
    raw = np.load(job["raw"])
    np.save(job["out"], module["predict"](raw))
    np.save(job["pre"], module["preprocess"](raw))
    layers = sys.modules["sprout_layers"]
    entry = {{"class_names": module["CLASS_NAMES"], "classes": sorted(layers.CLASSES),
             "registered": {{n: keras.saving.get_registered_name(c) for n, c in layers.CLASSES.items()}},
             "sprout_loaded": sorted(m for m in sys.modules if m.split(".")[0] in {BLOCKED!r}
                                     and sys.modules[m] is not None)}}
    if job.get("keras"):  # the run's .keras file loads with the copied layers alone
        loaded = keras.saving.load_model(job["keras"])
        np.save(job["keras_out"], np.asarray(loaded([np.load(job["model_x"])], training=False)))
    report[job["name"]] = entry
print(json.dumps(report))
"""


def _test_split(name):
    from engine.data.datasets import DataConfig, load_dataset

    data = json.loads((EXAMPLES / f"{name}.sprout").read_text()).get("data") or {}
    return load_dataset(DataConfig.from_dict(data), base_dir=EXAMPLES)


@pytest.fixture(scope="module")
def exported(tmp_path_factory, export_of):
    """name -> {run, folder, result, x (model-space test inputs), raw, dataset, script outputs}.

    The runs and their exports are the session's (tests/engine/export/conftest.py): the
    examples trained with their own settings, exported to every format.
    """
    from engine.build.modelio import load_model

    base = tmp_path_factory.mktemp("python_export")
    runs, results = {}, {}
    for name in NAMES:
        runs[name], results[name] = export_of(name)
    out, jobs = {}, []
    for name in NAMES:
        dataset = _test_split(name)
        x = dataset.x_test
        raw = dataset.preprocessing.invert(x) if dataset.preprocessing is not None else x
        files = {k: base / f"{name}_{k}.npy" for k in ("raw", "out", "pre", "keras_out", "model_x")}
        np.save(files["raw"], raw)
        np.save(files["model_x"], x)
        folder = results[name].out_dir / "model_python"
        jobs.append({"name": name, "folder": str(folder), **{k: str(v) for k, v in files.items()},
                     "keras": str(runs[name] / "model.keras") if name == "digits_octconv" else None})
        expected = np.asarray(load_model(runs[name] / "model.keras")([x], training=False))
        out[name] = {"run": runs[name], "folder": folder, "result": results[name], "x": x, "raw": raw,
                     "dataset": dataset, "expected": expected, "files": files}
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.run([sys.executable, "-c", RUN, str(ROOT), json.dumps(jobs)], cwd=str(base), env={
        **env, "TF_CPP_MIN_LOG_LEVEL": "3", "KERAS_BACKEND": "tensorflow"}, capture_output=True, text=True,
        timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    for name in NAMES:
        out[name]["report"] = report[name]
        out[name]["got"] = np.load(out[name]["files"]["out"])
        out[name]["pre"] = np.load(out[name]["files"]["pre"])
    return out


def test_the_format_is_registered_as_a_folder_built_from_the_graph():
    fmt = formats()["python"]
    assert fmt.folder and fmt.needs_graph and fmt.family == "keras"
    assert fmt.file_name("model", "float32") == "model_python"


@pytest.mark.parametrize("name", NAMES)
def test_the_exports_own_check_ran_the_script_without_sprout_and_passed(exported, name):
    result = exported[name]["result"]
    assert not result.errors, result.errors
    artifact = next(a for a in result.artifacts if a.format == "python")
    assert artifact.format == "python" and artifact.path.is_dir()
    assert artifact.ok, artifact.message
    assert artifact.message.startswith("python (without Sprout): ") and "matches the Keras model" in artifact.message
    assert sorted(p.name for p in artifact.path.iterdir()) == ["model.py", "model.weights.h5", "sprout_layers.py"]


@pytest.mark.parametrize("name", NAMES)
def test_the_script_predicts_what_the_run_model_predicts_on_raw_inputs(exported, name):
    e = exported[name]
    assert e["report"]["sprout_loaded"] == []
    assert e["got"].shape == e["expected"].shape
    np.testing.assert_allclose(e["got"], e["expected"], atol=1e-4, rtol=1e-4)
    np.testing.assert_allclose(e["pre"], e["x"], atol=1e-5)  # preprocess(raw) is what the model was trained on
    assert e["report"]["class_names"] == list(e["dataset"].class_names)


def test_iris_takes_raw_measurements_and_standardizes_them_itself(exported):
    e = exported["iris_mlp"]
    raw, x = e["raw"], e["x"]
    assert np.max(np.abs(raw - x)) > 1.0  # the raw rows really differ from the standardized ones
    assert abs(float(np.mean(x))) < 0.5 and float(np.min(raw)) > 0  # cm measurements vs standardized values
    np.testing.assert_allclose(e["got"], e["expected"], atol=1e-4)
    code = (e["folder"] / "model.py").read_text()
    assert "OFFSET = [" in code and "SCALE = [" in code and "standardized" in code


@pytest.mark.parametrize("name", NAMES)
def test_sprout_layers_holds_exactly_the_layers_used_and_imports_no_sprout(exported, name):
    from blocks import register_keras_objects

    folder = exported[name]["folder"]
    layers_text = (folder / "sprout_layers.py").read_text()
    script = (folder / "model.py").read_text()
    for text in (layers_text, script):
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.Import):
                assert not any(a.name.split(".")[0] in BLOCKED for a in node.names), ast.unparse(node)
            if isinstance(node, ast.ImportFrom):
                assert (node.module or "").split(".")[0] not in BLOCKED, ast.unparse(node)
    assert "import blocks" not in layers_text and "from blocks" not in layers_text and "engine" not in layers_text
    report = exported[name]["report"]
    assert set(report["classes"]) == LAYERS[name]
    assert report["registered"] == {n: f"sprout>{n}" for n in LAYERS[name]}
    classes = register_keras_objects()
    import inspect

    for layer in LAYERS[name]:  # copied from the real source, not rewritten
        assert inspect.getsource(classes[layer]) in layers_text
        assert f"sprout_layers.{layer}(" in script
    if not LAYERS[name]:
        assert "uses no custom layer" in layers_text


def test_a_keras_file_of_the_run_loads_with_the_copied_layers_alone(exported):
    e = exported["digits_octconv"]
    np.testing.assert_allclose(np.load(e["files"]["keras_out"]), e["expected"], atol=1e-5)


def test_the_zoneout_module_carries_the_helpers_it_needs(exported):
    text = (exported["seq_digits_zoneout"]["folder"] / "sprout_layers.py").read_text()
    for needed in ("def check_rate(", "class _ZoneoutRNN(", "class ZoneoutLSTMCell(", "class _ZoneoutCell("):
        assert needed in text
    assert "class ZoneoutGRU(" not in text  # only what the model uses


def test_every_sprout_layer_can_be_copied_without_clashes():
    from blocks import register_keras_objects
    from engine.export.pysource import layers_module_source

    classes = register_keras_objects()
    text = layers_module_source(list(classes.values()))
    compile(text, "sprout_layers.py", "exec")
    tree = ast.parse(text)
    defined = [n.name for n in tree.body if isinstance(n, (ast.ClassDef, ast.FunctionDef))]
    assert len(defined) == len(set(defined)) and set(classes) <= set(defined)
    assert layers_module_source(list(classes.values())) == text  # the same text every time


def test_standalone_code_names_the_module_beside_it(registry):
    from engine.build.codegen import keras_code, keras_program
    from engine.model.project import load_project

    doc = load_project(EXAMPLES / "digits_octconv.sprout", registry).document
    code = keras_code(doc, standalone=True)
    assert "import sprout_layers" in code and "sprout_layers.OctConv2D(" in code and "blocks" not in code
    assert keras_code(doc).count("SPROUT['OctConv2D'](") == 3  # the "View code" mode is unchanged
    assert [c.__name__ for c in keras_program(doc, standalone=True).custom] == ["OctConv2D", "OctaveBatchNormAct"]


def test_a_failing_script_fails_the_check_with_its_last_error_line(tmp_path):
    from engine.export.formats.python_script import check

    (tmp_path / "model.py").write_text("import blocks\n")  # Sprout must not be importable there

    class Ctx:
        x_check = np.zeros((2, 4), "float32")

    result = check(Ctx(), "float32", tmp_path)
    assert not result.ok
    assert result.message.startswith("python (without Sprout): ") and "blocks" in result.message


def test_without_raw_input_folding_the_script_documents_model_space_inputs(registry):
    from types import SimpleNamespace

    from engine.build.codegen import keras_program
    from engine.export.formats.python_script import script_source
    from engine.model.project import load_project

    doc = load_project(EXAMPLES / "iris_mlp.sprout", registry).document
    plain = SimpleNamespace(name="sprout_model", inputs=[SimpleNamespace(shape=(None, 4))])
    ctx = SimpleNamespace(plain=lambda: plain, preprocessing=None, fold=False, class_names=["a", "b", "c"],
                          options=SimpleNamespace(raw_inputs=False))
    code = script_source(ctx, keras_program(doc, standalone=True), [])
    compile(code, "model.py", "exec")
    assert "OFFSET = None" in code and "Inputs: model-space inputs, shape (batch, 4)" in code
    assert "CLASS_NAMES = ['a', 'b', 'c']" in code
