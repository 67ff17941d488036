"""Every example project, trained with its own settings, exported to every format and run by its real client.

The exporter checks each file itself (in its converter process); these tests check again,
independently: each client in a fresh process of its own (``consumers.py``), on the raw
test inputs (un-normalized: the exported models take what the user has), against the
Keras model of the run on the normalized inputs, computed here.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from engine.export.formats import VARIANTS, formats
from engine.export.options import ExportOptions
from engine.export.source import run_source

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = sorted((ROOT / "resources" / "examples").glob("*.sprout"))
CONSUMERS = Path(__file__).with_name("consumers.py")
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def exports(export_of):
    """{example: (run folder, ExportResult)} for every example."""
    return {p.stem: export_of(p.stem) for p in EXAMPLES}


@pytest.fixture(scope="module")
def reference(exports):
    """{example: (raw test inputs, Keras outputs of the run's model on the normalized inputs)}."""
    from engine.build.modelio import load_model
    from engine.export.job import source_dataset

    out = {}
    for stem, (folder, _result) in exports.items():
        source = run_source(folder)
        dataset, prep = source_dataset(source)
        model = load_model(folder / "model.keras")
        x = dataset.x_test[:256]
        want = tuple(model.inputs[0].shape[1:])
        expected = np.asarray(model(x.reshape((len(x), *want)), training=False), dtype="float64")
        raw = prep.invert(x) if prep is not None else x
        out[stem] = (raw.reshape((len(x), *want)), expected)
    return out


@pytest.mark.parametrize("stem", [p.stem for p in EXAMPLES])
def test_every_file_of_the_example_is_written_and_passes_its_clients_check(stem, export_of):
    _folder, result = export_of(stem)
    assert not result.errors, (stem, result.errors)
    written = {(a.format, a.variant) for a in result.artifacts}
    planned = {(f, v) for f, v, _ in result_options(result)}
    assert written == planned, (stem, planned - written)
    for a in result.artifacts:
        assert a.ok, (stem, a.path.name, a.message)
        assert a.path.exists() and a.size > 0 and 0 < a.gzip_size
    card = json.loads((result.out_dir / "model_card.json").read_text())
    assert {f["file"] for f in card["files"]} == {a.path.name for a in result.artifacts}
    assert card["class_names"] and card["inputs"][0]["shape"]




def result_options(result):
    return ExportOptions(formats=tuple(formats()), quantize=VARIANTS).planned()


def _consume(kind: str, items: list[tuple[str, Path, np.ndarray]], tmp: Path) -> dict[str, np.ndarray]:
    manifest = []
    for key, path, x in items:
        np.save(tmp / f"{key}.x.npy", x)
        manifest.append({"file": str(path), "x": str(tmp / f"{key}.x.npy"), "out": str(tmp / f"{key}.y.npy")})
    (tmp / f"{kind}.json").write_text(json.dumps(manifest))
    env = {"TF_CPP_MIN_LOG_LEVEL": "3", "PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT) if kind == "keras" else ""}
    done = subprocess.run([sys.executable, str(CONSUMERS), kind, str(tmp / f"{kind}.json")], capture_output=True,
                          text=True, timeout=600, cwd=tmp, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    status = json.loads(done.stdout.strip().splitlines()[-1])
    if kind in ("litert", "onnx"):
        assert not status["tensorflow"], "the client process imported TensorFlow"
    if kind != "keras":
        assert not status["sprout_modules"], status
    return {key: np.load(tmp / f"{key}.y.npy") for key, _p, _x in items}


def _agreement(got, expected) -> float:
    return float(np.mean(np.argmax(got, axis=1) == np.argmax(expected, axis=1)))


def test_litert_interpreter_runs_every_tflite_variant_on_raw_inputs(exports, reference, tmp_path):
    items = [(f"{stem}-{a.variant}", a.path, reference[stem][0])
             for stem, (_f, result) in exports.items() for a in result.artifacts if a.format == "tflite"]
    assert len(items) == len(EXAMPLES) * len(VARIANTS)
    got = _consume("litert", items, tmp_path)
    for key, _path, _x in items:
        stem, variant = key.rsplit("-", 1)
        expected = reference[stem][1]
        if variant == "float32":
            np.testing.assert_allclose(got[key], expected, atol=1e-4, rtol=1e-4, err_msg=key)
        else:
            assert _agreement(got[key], expected) >= 0.97, (key, _agreement(got[key], expected))


def test_onnxruntime_runs_every_onnx_file(exports, reference, tmp_path):
    items = [(stem, a.path, reference[stem][0]) for stem, (_f, result) in exports.items()
             for a in result.artifacts if a.format == "onnx"]
    assert len(items) == len(EXAMPLES)
    got = _consume("onnx", items, tmp_path)
    for stem, _p, _x in items:
        np.testing.assert_allclose(got[stem], reference[stem][1], atol=1e-4, rtol=1e-4, err_msg=stem)


def test_savedmodel_serving_signature_in_a_fresh_process(exports, reference, tmp_path):
    items = [(stem, a.path, reference[stem][0]) for stem, (_f, result) in exports.items()
             for a in result.artifacts if a.format == "savedmodel"]
    got = _consume("savedmodel", items, tmp_path)
    for stem, _p, _x in items:
        np.testing.assert_allclose(got[stem], reference[stem][1], atol=1e-4, rtol=1e-4, err_msg=stem)


def test_keras_and_h5_load_in_safe_mode_in_a_fresh_process(exports, reference, tmp_path):
    items = [(f"{stem}-{a.format}", a.path, reference[stem][0]) for stem, (_f, result) in exports.items()
             for a in result.artifacts if a.format in ("keras", "h5")]
    assert len(items) == 2 * len(EXAMPLES)
    got = _consume("keras", items, tmp_path)
    for key, _p, _x in items:
        stem = key.rsplit("-", 1)[0]
        np.testing.assert_allclose(got[key], reference[stem][1], atol=1e-5, rtol=1e-5, err_msg=key)
