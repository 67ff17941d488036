"""``python``: a folder with a plain-Keras script, its weights and Sprout's layers' source.

``model.py`` is generated from the graph by the code generator (the one graph walk, in
its standalone mode), ``sprout_layers.py`` holds the source of every Sprout layer class
the model uses (:mod:`engine.export.pysource`) and ``model.weights.h5`` the weights. The
check runs the script in a fresh Python that cannot import Sprout, on the test samples,
and compares its predictions with the Keras model's.
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

from engine import atomic
from engine.export.formats import Check, ExportFormat

SCRIPT, LAYERS, WEIGHTS = "model.py", "sprout_layers.py", "model.weights.h5"
CLIENT = "python (without Sprout)"
TIMEOUT = 120
SPROUT_PACKAGES = ("blocks", "engine", "cli", "gui")
ROOT = Path(__file__).resolve().parents[3]  # the folder holding engine/ and blocks/

# Run as ``python -c PRELUDE ROOT SCRIPT ARGS...``: Sprout is installed in editable mode,
# so removing its folder from sys.path is not enough; the packages are blocked by name.
PRELUDE = f"""
import os, runpy, sys
root, script, *args = sys.argv[1:]
sys.path[:] = [p for p in sys.path if os.path.realpath(p or os.curdir) != os.path.realpath(root)]
for name in {SPROUT_PACKAGES!r}:
    sys.modules[name] = None
for name in {SPROUT_PACKAGES!r}:
    try:
        __import__(name)
    except ImportError:
        continue
    raise SystemExit("Sprout is importable: " + name)
sys.argv = [script, *args]
runpy.run_path(script, run_name="__main__")
"""

TEMPLATE = '''"""{title}: a Keras model exported by Sprout as plain Python (Sprout is not needed).

Files of this folder:
    model.py          this script: the architecture in plain Keras, the preprocessing, predict()
    model.weights.h5  the weights (Keras 3 weights file, loaded by load_model())
    sprout_layers.py  the source of the Sprout layers the model uses ({layers})

Requirements: numpy and Keras 3 with the TensorFlow backend (exported with keras {keras},
tensorflow {tensorflow}).

{inputs}

Usage:
    python model.py                            print the model's summary
    python model.py --predict IN.npy OUT.npy   predictions for the inputs in IN.npy
    from model import load_model, predict      (with this folder on sys.path)
"""
import argparse
import os
import sys

import numpy as np

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
import keras  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)  # sprout_layers.py lives beside this script
import sprout_layers  # noqa: E402,F401

#: The class of each index of the first output (None for regression).
CLASS_NAMES = {class_names!r}

# Preprocessing: model_input = (raw - OFFSET) * SCALE, per feature of the last axis.
# {prep_words}
OFFSET = {offset}
SCALE = {scale}
{techniques}

{build}


def preprocess(raw):
    """The inputs predict() takes -> what the model was trained on (float32 numpy)."""
    raw = np.asarray(raw)
    if OFFSET is None:
        return raw
    return ((raw.astype("float64") - np.asarray(OFFSET)) * np.asarray(SCALE)).astype("float32")


def load_model(weights=None):
    """build_model() with the weights of ``weights`` (default: model.weights.h5 beside this file)."""
    model = build_model()
    model.load_weights(weights or os.path.join(HERE, "model.weights.h5"))
    return model


_MODEL = None


def predict(raw, model=None, batch_size=256):
    """Preprocess ``raw`` and run the model (inference mode); numpy, a list for several outputs.

    ``raw`` is one array (a batch); a model with several inputs takes a list of arrays
    (model-space: preprocessing applies to single-input models only).
    """
    global _MODEL
    if model is None:
        _MODEL = _MODEL or load_model()
        model = _MODEL
    xs = [np.asarray(r) for r in raw] if isinstance(raw, (list, tuple)) else [preprocess(raw)]
    parts = []
    for start in range(0, len(xs[0]), batch_size):
        batch = [x[start:start + batch_size] for x in xs]
        out = model(batch, training=False)  # a list, as build_model()'s inputs
        parts.append([np.asarray(o) for o in out] if isinstance(out, (list, tuple)) else [np.asarray(out)])
    outputs = [np.concatenate(p) for p in zip(*parts)]
    return outputs[0] if len(outputs) == 1 else outputs


def main(argv=None):
    """``--predict IN.npy OUT.npy`` writes predictions; no arguments prints the summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--predict", nargs=2, metavar=("IN.npy", "OUT.npy"),
                        help="read inputs from IN.npy (an .npz archive for several inputs), write the predictions to OUT.npy (an .npz "
                             "archive output_0, output_1, ... when the model has several outputs)")
    args = parser.parse_args(argv)
    if args.predict is None:
        load_model().summary()
        return 0
    loaded = np.load(args.predict[0])
    outputs = predict(loaded if isinstance(loaded, np.ndarray) else [loaded[k] for k in loaded.files])
    with open(args.predict[1], "wb") as fh:
        if isinstance(outputs, list):
            np.savez(fh, **{{f"output_{{i}}": o for i, o in enumerate(outputs)}})
        else:
            np.save(fh, outputs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
'''


def write(ctx, variant, path):
    """The folder: ``model.py``, ``sprout_layers.py`` and ``model.weights.h5``, complete on return."""
    from blocks.registry import default_registry
    from engine.build.codegen import keras_program, technique_comments
    from engine.export.options import ExportError
    from engine.export.pysource import layers_module_source
    from engine.model.project import parse_project

    if ctx.graph_text is None:
        raise ExportError("python: the script is written from a Sprout graph; export from a run or a project")
    plain = ctx.plain()
    project = parse_project(ctx.graph_text, default_registry(), source="export snapshot")
    program = keras_program(project.document, model_name=plain.name, standalone=True)
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    atomic.write_text(path / SCRIPT, script_source(ctx, program, technique_comments(program)))
    atomic.write_text(path / LAYERS, layers_module_source(program.custom))
    plain.save_weights(str(path / WEIGHTS))  # the staging folder is private; the job moves it whole
    ctx.details[path.name] = {"files": [SCRIPT, LAYERS, WEIGHTS], "layers": [c.__name__ for c in program.custom],
                              "preprocessing": _applies(ctx)}


def script_source(ctx, program, techniques: list[str]) -> str:
    """The text of ``model.py`` around the generated ``build_model()``."""
    from importlib.metadata import PackageNotFoundError, version

    def installed(name):
        try:
            return version(name)
        except PackageNotFoundError:
            return "unknown"

    plain = ctx.plain()
    shape = ", ".join(["batch", *(str(d) for d in plain.inputs[0].shape[1:])])
    prep = ctx.preprocessing
    if _applies(ctx):
        inputs = (f"raw inputs, shape ({shape}), as the data has them; predict() applies preprocess() "
                  "first, the transform the training data went through.")
        offset, scale, words = repr(list(prep.offset)), repr(list(prep.scale)), prep.description
    else:
        why = ("the export was asked for model-space inputs" if not ctx.options.raw_inputs else
               "the data has no preprocessing" if prep is None else "the model has several inputs")
        inputs = (f"model-space inputs, shape ({shape}): what the model was trained on (preprocess() is the "
                  f"identity: {why}).")
        offset = scale = "None"
        words = "none here: " + why
    return TEMPLATE.format(
        title=plain.name, layers=", ".join(c.__name__ for c in program.custom) or "none",
        keras=installed("keras"), tensorflow=installed("tensorflow"),
        inputs=textwrap.fill("Inputs: " + inputs, 96, subsequent_indent="    "),
        class_names=list(ctx.class_names) or None, prep_words=words, offset=offset, scale=scale,
        techniques="\n".join(techniques) + "\n" if techniques else "", build="\n".join(program.build))


def check(ctx, variant, path):
    """Run ``model.py --predict`` without Sprout on the check samples; compare with the Keras model."""
    import numpy as np

    from engine.export.checks import compare

    path = Path(path)
    with tempfile.TemporaryDirectory(prefix="sprout-python-check-") as tmp:
        inputs, outputs = Path(tmp) / "inputs.npy", Path(tmp) / "outputs.npy"
        np.save(inputs, ctx.x_check)
        failure = run_without_sprout(path / SCRIPT, ["--predict", str(inputs), str(outputs)], cwd=path)
        if failure is not None:
            return Check(False, f"{CLIENT}: {failure}")
        got = _read_arrays(outputs)
    result = compare(CLIENT, got, ctx.expected("keras"), True, ctx.classification)
    if not result.ok and result.max_diff is not None and _samples(ctx.plain()):
        return Check(True, f"{CLIENT}: the script ran and loaded the weights; predictions not compared (the "
                           "model samples at inference: a Swapout block with stochastic inference)")
    return result


def run_without_sprout(script: Path, args: list[str], cwd: Path, timeout: float = TIMEOUT) -> str | None:
    """Run ``script`` with ``args`` in a Python that cannot import Sprout; None, or why it failed."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(TF_CPP_MIN_LOG_LEVEL="3", KERAS_BACKEND="tensorflow")
    try:
        proc = subprocess.run([sys.executable, "-c", PRELUDE, str(ROOT), str(script), *args], cwd=str(cwd),
                              env=env, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return f"timed out after {timeout:g} s"
    if proc.returncode == 0:
        return None
    lines = [line for line in proc.stderr.strip().splitlines() if line.strip()]
    return (lines[-1] if lines else f"exit code {proc.returncode}")[:500]


def _read_arrays(file: Path) -> list:
    """The arrays of an ``.npy`` (one) or ``.npz`` archive (in its order)."""
    import numpy as np

    loaded = np.load(file)
    if isinstance(loaded, np.ndarray):
        return [loaded]
    with loaded:
        return [loaded[k] for k in loaded.files]


def _applies(ctx) -> bool:
    """True when the script's preprocess() is the data's transform (raw inputs, one model input)."""
    return bool(ctx.fold and ctx.preprocessing is not None and len(ctx.plain().inputs) == 1)


def _samples(model) -> bool:
    """True when a layer keeps sampling at inference (its outputs cannot match run to run)."""
    stack = list(model.layers)
    while stack:
        layer = stack.pop()
        if getattr(layer, "inference", None) == "stochastic":
            return True
        stack.extend(getattr(layer, "layers", ()))
    return False


FORMAT = ExportFormat(name="python", title="Python script (plain Keras)", client=CLIENT, family="keras",
                      file_name=lambda base, variant: f"{base}_python", write=write, check=check,
                      needs_graph=True, folder=True)
