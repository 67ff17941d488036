"""The registry of export formats: one module per format in this package, found by name.

A format module defines ``FORMAT`` (an :class:`ExportFormat`). Adding a format is one
file here. ``write`` and ``check`` run in the converter process (``engine.export.worker``),
never in the studio's: TensorFlow's converters can crash the process that runs them.
"""
from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

#: Model families: ``keras`` is the model as trained (stochastic layers keep sampling),
#: ``portable`` has every stochastic inference made deterministic, ``tflite`` is portable
#: with recurrent layers unrolled (what the TFLite converter needs).
FAMILIES = ("keras", "portable", "tflite")
#: The TFLite variants (``--quantize``); ``float32`` is "none".
VARIANTS = ("float32", "float16", "dynamic", "int8")


@dataclass(frozen=True)
class Check:
    """What the real client of a file said about it.

    Attributes:
        ok: the client loaded the file and its predictions matched the Keras model's.
        message: one line, e.g. "LiteRT interpreter: 256 test samples, max |diff| 2.1e-07".
        max_diff: the largest absolute difference of outputs (None when not compared).
        agreement: the fraction of samples whose predicted class matches (None for regression).
    """

    ok: bool
    message: str
    max_diff: float | None = None
    agreement: float | None = None


@dataclass(frozen=True)
class ExportFormat:
    """One export format.

    Attributes:
        name: the CLI's word (``tflite``); also the key block export notes are asked with.
        title: for people ("TensorFlow Lite (LiteRT)").
        client: the program that checks the file ("LiteRT interpreter").
        family: which model it exports (see ``FAMILIES``).
        file_name: ``(base, variant) -> file or folder name`` in the output folder.
        write: ``(ctx, variant, path)``: writes the file (or folder) at ``path``.
        check: ``(ctx, variant, path) -> Check``: loads it with the real client.
        variants: True when ``--quantize`` applies (one file per TFLite variant).
        needs_graph: True when the format is built from the Sprout graph, not the model.
        folder: True when the export is a folder, not a file.
    """

    name: str
    title: str
    client: str
    family: str
    file_name: Callable[[str, str], str]
    write: Callable
    check: Callable
    variants: bool = False
    needs_graph: bool = False
    folder: bool = False


@cache
def formats() -> dict[str, ExportFormat]:
    """Every format, in the order ``ORDER`` gives (then any other by module name)."""
    found = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        fmt = getattr(module, "FORMAT", None)
        if isinstance(fmt, ExportFormat):
            found[fmt.name] = fmt
    order = [n for n in ORDER if n in found] + sorted(set(found) - set(ORDER))
    return {n: found[n] for n in order}


ORDER = ("keras", "h5", "savedmodel", "tflite", "onnx", "python", "c")


def variant_suffix(variant: str) -> str:
    """``""`` for float32, else ``_int8`` and so on: the file-name part of a variant."""
    return "" if variant == "float32" else f"_{variant}"
