"""What an export is asked to do, checked once, before any work starts."""
from __future__ import annotations

from dataclasses import dataclass

from engine.errors import SproutError
from engine.export.formats import VARIANTS, formats

OPSETS = range(13, 19)  # tf2onnx on this stack: 13-18 work, 21 is refused
DEFAULT_OPSET = 17
QUANTIZE_WORDS = {"none": "float32", "float32": "float32", "float16": "float16", "dynamic": "dynamic",
                  "int8": "int8"}


class ExportError(SproutError):
    """An export cannot be done as asked; the message names the format and why."""


@dataclass(frozen=True)
class ExportOptions:
    """Formats and their settings.

    Attributes:
        formats: format names (``keras``, ``tflite``, ...), in the registry's order.
        quantize: the TFLite variants to write (``float32``, ``float16``, ``dynamic``, ``int8``).
        int8_io: ``int8`` (integer input and output tensors, as microcontrollers want) or
            ``float`` (float input/output around an int8 body) for the int8 variant.
        opset: the ONNX opset.
        raw_inputs: fold the data's preprocessing into the model, so it takes raw inputs.
        name: base name of the files (``model`` -> ``model.tflite``).
        check_samples: how many test samples each file's check predicts.
    """

    formats: tuple[str, ...] = ("keras",)
    quantize: tuple[str, ...] = ("float32",)
    int8_io: str = "int8"
    opset: int = DEFAULT_OPSET
    raw_inputs: bool = True
    name: str = "model"
    check_samples: int = 256

    @classmethod
    def parse(cls, formats_text: str, quantize_text: str = "none", **kw) -> ExportOptions:
        """From the CLI's comma lists (``"tflite,onnx"``, ``"none,int8"``); ExportError on a bad word."""
        names = [w.strip().lower() for w in formats_text.split(",") if w.strip()]
        variants = []
        for word in (w.strip().lower() for w in quantize_text.split(",") if w.strip()):
            if word not in QUANTIZE_WORDS:
                raise ExportError(f"--quantize {word!r}: choose from {', '.join(dict.fromkeys(QUANTIZE_WORDS))}")
            variants.append(QUANTIZE_WORDS[word])
        return cls(formats=tuple(names), quantize=tuple(dict.fromkeys(variants or ["float32"])), **kw).checked()

    def checked(self) -> ExportOptions:
        """Self, or ExportError naming the first bad setting."""
        known = formats()
        if not self.formats:
            raise ExportError(f"no format chosen; choose from {', '.join(known)}")
        for name in self.formats:
            if name not in known:
                raise ExportError(f"unknown format {name!r}; choose from {', '.join(known)}")
        for v in self.quantize:
            if v not in VARIANTS:
                raise ExportError(f"unknown TFLite variant {v!r}; choose from {', '.join(VARIANTS)}")
        if not self.quantize:
            raise ExportError("no TFLite variant chosen")
        if self.int8_io not in ("int8", "float"):
            raise ExportError(f"int8 input/output must be 'int8' or 'float', not {self.int8_io!r}")
        if self.opset not in OPSETS:
            raise ExportError(f"ONNX opset {self.opset}: choose {OPSETS.start} to {OPSETS.stop - 1} "
                              f"(tf2onnx on this stack; default {DEFAULT_OPSET})")
        if not self.name or not self.name.replace("_", "").replace("-", "").isalnum():
            raise ExportError(f"file name {self.name!r}: use letters, digits, '_' and '-' only")
        if self.check_samples < 1:
            raise ExportError("check_samples must be at least 1")
        ordered = tuple(n for n in known if n in self.formats)
        return ExportOptions(ordered, self.quantize, self.int8_io, self.opset, self.raw_inputs, self.name,
                             self.check_samples)

    def planned(self) -> list[tuple[str, str, str]]:
        """``(format, variant, file name)`` of every file the export writes, in order."""
        out = []
        for name in self.formats:
            fmt = formats()[name]
            for variant in (self.quantize if fmt.variants else ("float32",)):
                out.append((name, variant, fmt.file_name(self.name, variant)))
        return out

    def to_dict(self) -> dict:
        """JSON-ready (the worker's request, the model card)."""
        return {"formats": list(self.formats), "quantize": list(self.quantize), "int8_io": self.int8_io,
                "opset": self.opset, "raw_inputs": self.raw_inputs, "name": self.name,
                "check_samples": self.check_samples}

    @classmethod
    def from_dict(cls, d: dict) -> ExportOptions:
        """The inverse of :meth:`to_dict`."""
        return cls(tuple(d["formats"]), tuple(d["quantize"]), d["int8_io"], int(d["opset"]), bool(d["raw_inputs"]),
                   d["name"], int(d["check_samples"]))
