"""The converter process: ``python -m engine.export.worker REQUEST.json``.

TensorFlow's converters can crash the process that runs them (int8 conversion of some
graphs segfaults), so every conversion and every check runs here, never in the studio.
The parent (:mod:`engine.export.runner`) reads one JSON object per line from stdout:

    {"event": "start", "format": ..., "variant": ..., "file": ...}
    {"event": "done",  "format": ..., "variant": ..., "file": ..., "ok": ..., "message": ...,
     "max_diff": ..., "agreement": ..., "details": {...}}
    {"event": "error", "format": ..., "variant": ..., "file": ..., "message": ...}

Each file is written into the staging folder named in the request; the parent moves it
into place. Anything else the libraries print goes to stderr.
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import numpy as np

from engine.data.preprocess import Preprocessing
from engine.errors import SproutError
from engine.export.formats import formats
from engine.export.options import ExportOptions


class WorkerContext:
    """What every format's ``write`` and ``check`` use (built lazily, cached)."""

    def __init__(self, request: dict):
        self.request = request
        self.options = ExportOptions.from_dict(request["options"])
        self.preprocessing = Preprocessing.from_dict(request.get("preprocessing"))
        self.fold = self.options.raw_inputs and self.preprocessing is not None
        self.class_names = list(request.get("class_names") or [])
        self.graph_text = request.get("graph_text")
        self.x_check = self.x_rep = None
        if request.get("samples"):
            with np.load(request["samples"]) as samples:
                self.x_check = samples["x_check"]
                self.x_rep = samples["x_rep"] if "x_rep" in samples.files else None
        self.details: dict = {}  # per file, what the card reports (quantization, arena, ...)
        self._models: dict = {}
        self._expected: dict = {}
        self._tflite: dict = {}
        self._plain = None

    @property
    def classification(self) -> bool:
        """True when the first output's argmax is the class."""
        return bool(self.class_names)

    def plain(self):
        """The model as trained, taking the model-space inputs it was trained on."""
        if self._plain is None:
            self._plain = _load(self.request)
        return self._plain

    def model(self, family: str):
        """The model of an export family, raw-input preprocessing folded in when asked."""
        if family not in self._models:
            from engine.export.adapt import for_family, with_preprocessing

            model = for_family(self.plain(), family)
            self._models[family] = with_preprocessing(model, self.preprocessing) if self.fold else model
        return self._models[family]

    def expected(self, family: str) -> list[np.ndarray]:
        """The Keras model's outputs on the check samples (what every file must reproduce)."""
        if family not in self._expected:
            from engine.export.checks import outputs_list

            self._expected[family] = outputs_list(self.model(family)(self.x_check, training=False))
        return self._expected[family]

    def tflite(self, variant: str) -> bytes:
        """The ``.tflite`` content of a variant (converted once, shared by the C header)."""
        if variant not in self._tflite:
            from engine.export.tflite_convert import convert

            self._tflite[variant] = convert(self.model("tflite"), variant, self.x_rep, self.options.int8_io)
        return self._tflite[variant]


    def describe(self) -> dict:
        """The model's inputs, outputs and size (the ``model`` event, for the card)."""
        model = self.model("keras")
        shape = tuple(model.inputs[0].shape[1:])
        if self.x_check is None:  # a bare model file: check on seeded random inputs of its shape
            self.x_check = np.random.default_rng(0).random((32, *shape)).astype(model.inputs[0].dtype)
        # Samples are fed in the Input's shape when the sizes agree, as the trainer does (8x8 -> 64).
        self.x_check = _fit(self.x_check, shape)
        self.x_rep = None if self.x_rep is None else _fit(self.x_rep, shape)
        out = outputs_list_shapes(model)
        return {"params": int(self.plain().count_params()), "name": self.plain().name,
                "inputs": [{"name": t.name, "shape": list(t.shape[1:]), "dtype": str(t.dtype)} for t in model.inputs],
                "outputs": out, "folded": self.fold}


def _fit(x: np.ndarray, shape: tuple) -> np.ndarray:
    if tuple(x.shape[1:]) != shape and int(np.prod(x.shape[1:])) == int(np.prod(shape)):
        return x.reshape((len(x), *shape))
    return x


def outputs_list_shapes(model) -> list[dict]:
    """Shape and dtype of each model output."""
    return [{"name": t.name, "shape": list(t.shape[1:]), "dtype": str(t.dtype)} for t in model.outputs]


def _load(request: dict):
    import keras

    from blocks import register_keras_objects
    from engine.build.modelio import load_model

    register_keras_objects()
    if request.get("model_path"):
        return load_model(request["model_path"])
    from blocks.registry import default_registry
    from engine.build.compiler import compile_document
    from engine.model.project import parse_project

    keras.utils.set_random_seed(int(request.get("seed", 0)))
    project = parse_project(request["graph_text"], default_registry(), source="export snapshot")
    return compile_document(project.document).model


_EVENTS = None  # the real stdout; fd 1 itself is pointed at stderr (the converters print on it)


def emit(event: dict) -> None:
    """Send one event line to the parent."""
    _emit(event)


def _emit(event: dict) -> None:
    out = _EVENTS or sys.stdout
    out.write(json.dumps(event) + "\n")
    out.flush()


def run(request: dict) -> int:
    """Write and check every file of ``request["files"]``; one event line per step."""
    ctx = WorkerContext(request)
    staging = Path(request["staging"])
    _emit({"event": "model", **ctx.describe()})
    for item in request["files"]:
        fmt = formats()[item["format"]]
        head = {"format": item["format"], "variant": item["variant"], "file": item["file"]}
        _emit({"event": "start", **head})
        path = staging / item["file"]
        try:
            fmt.write(ctx, item["variant"], path)
            check = fmt.check(ctx, item["variant"], path)
        except SproutError as exc:
            _emit({"event": "error", **head, "message": str(exc)})
            continue
        except Exception as exc:  # noqa: BLE001 - a converter's failure is reported on its file
            text = str(exc).strip().splitlines()
            _emit({"event": "error", **head, "message": f"{fmt.title}: {type(exc).__name__}: "
                                                       f"{text[-1] if text else ''}"[:500]})
            continue
        _emit({"event": "done", **head, "ok": check.ok, "message": check.message, "max_diff": check.max_diff,
               "agreement": check.agreement, "details": ctx.details.get(item["file"], {})})
    return 0


def main(argv: list[str]) -> int:
    """Entry point: the request file is the only argument."""
    return serve(argv, run)


def serve(argv: list[str], handler) -> int:
    """Run ``handler(request)`` on the request file ``argv[0]``, events on the real stdout.

    Shared by every converter program (this one and the compression measurer), so they
    keep one event channel: fd 1 is pointed at stderr, since converters print on it.
    """
    global _EVENTS
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    sys.stdout.flush()
    _EVENTS = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    with open(argv[0], encoding="utf-8") as fh:
        request = json.load(fh)
    try:
        return handler(request)
    except SproutError as exc:  # the model or graph cannot be loaded: one line for the parent
        print(str(exc), file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
