"""The graph checked against the project's data, on every edit, without TensorFlow.

What the trainer would only find after pressing Train: an Input that does not take the
data's samples, and an output that is not one score per class (a Dense straight after a
Conv2D gives a feature map, not a class vector; a last Dense with the wrong number of
units). Each problem lands on the node at fault with the fix in words ("insert a Flatten
(1,152 values per sample) before Dense", "set its units to 10").

The data's shape and class count come from :class:`DataInfo`: known at once for the
embedded datasets, read once in the background for the user's files (the studio's data
preview), and never waited for: without it, these checks are skipped.
"""
from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class DataInfo:
    """What the checks need to know about a dataset.

    Attributes:
        name: as the user named it (``digits``, ``plants.csv``).
        sample_shape: one sample's shape, batch axis excluded.
        num_classes: classes (0 for regression).
        key: the data settings it was read for (``source`` and ``label``), to tell stale info.
    """

    name: str
    sample_shape: tuple
    num_classes: int
    key: tuple = ()

    @classmethod
    def of_dataset(cls, dataset, data: dict) -> DataInfo:
        """From a loaded :class:`engine.data.datasets.Dataset` and the data section it came from."""
        return cls(dataset.name, tuple(dataset.input_shape), dataset.num_classes, key_of(data))


def key_of(data: dict) -> tuple:
    """The settings that decide a dataset's shape and classes."""
    return (str(data.get("source", "digits")), str(data.get("label", "label")))


_EMBEDDED = {"digits": ((8, 8, 1), 10), "digits-seq": ((8, 8), 10), "iris": ((4,), 3), "wine": ((13,), 3),
             "breast-cancer": ((30,), 2)}


def known_info(data: dict) -> DataInfo | None:
    """The info of an embedded dataset, without loading it (None for the user's files)."""
    source = str(data.get("source", "digits"))
    if source not in _EMBEDDED:
        return None
    shape, classes = _EMBEDDED[source]
    return DataInfo(source, shape, classes, key_of(data))


def data_diagnostics(doc, results: dict, info: DataInfo):
    """Diagnostics of ``doc`` (with inferred ``results``) against ``info``."""
    from engine.analysis.graph import Diagnostic, is_pair_shape

    out = []
    roles = {uid: doc.spec(uid).role for uid in doc.nodes}
    inputs = [u for u, r in roles.items() if r == "input"]
    outputs = [u for u, r in roles.items() if r == "output"]
    if len(inputs) == 1:
        shape = tuple(doc.node(inputs[0]).params.get("shape", ()))
        if shape != info.sample_shape and math.prod(shape) != math.prod(info.sample_shape):
            out.append(Diagnostic(inputs[0], f"takes samples of shape {shape}, but {info.name} has samples of "
                                             f"shape {info.sample_shape}: set the Input's shape to "
                                             f"{info.sample_shape}"))
    if len(outputs) != 1 or not info.num_classes:
        return out
    link = doc.inputs_of(outputs[0]).get("in")
    if link is None:
        return out
    last = results.get(link.source)
    if last is None or not last.out_shapes:
        return out
    shape = last.out_shapes[doc.spec(link.source).output_names().index(link.source_port)]
    if shape is None or is_pair_shape(shape):
        return out
    classes, title = info.num_classes, doc.node(link.source).title or doc.spec(link.source).title
    where = f"{title} ({link.source})"
    per_sample = "x".join(str(d) for d in shape[1:])
    if len(shape) > 2:
        in_shape = last.in_shapes[0] if last.in_shapes else None
        fix = (f"insert a Flatten ({math.prod(in_shape[1:]):,} values per sample) or a global average pooling "
               f"before {where}" if in_shape is not None and len(in_shape) > 2
               else f"insert a Flatten after {where} and a Dense of {classes} units before the Output")
        units = f", and give it {classes} units" if shape[-1] != classes and "before" in fix else ""
        out.append(Diagnostic(link.source, f"gives {per_sample} values per sample, but a classifier of {info.name}'s "
                                           f"{classes} classes needs one score per class, ({classes},): "
                                           f"{fix}{units}"))
    elif shape[-1] != classes:
        fix = (f"set its units to {classes}" if "units" in doc.node(link.source).params
               else f"add a Dense of {classes} units before the Output")
        out.append(Diagnostic(link.source, f"gives {shape[-1]} values per sample, but {info.name} has {classes} "
                                           f"classes: {fix}"))
    return out
