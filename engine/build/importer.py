"""Turn a loaded Keras model into a graph document: one node per layer, blocks asked by class.

Blocks declare which Keras classes they stand for (``BlockSpec.keras_import``); the table
of class name -> blocks is built from the registry, never from a list of ids here. For
each layer the first block whose declaration accepts its config, and whose rebuilt layer
has the same config, wins; options that only matter for training (initializers,
regularizers, constraints, seeds) are reported as notes, any other difference means the
block does not stand for the layer. A layer's ``activation`` the block cannot hold becomes
an activation node after it. Layers no block stands for refuse the import with their
classes, or, for a partial import, become the fallback block that keeps them as saved.

Nested models (a Sequential inside a Functional, at any depth) are flattened: their
layers join the outer graph. A layer called more than once (shared weights) is refused.
Keras is only touched through the model object handed in.
"""
from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field

from blocks.registry import Registry
from engine.build.keras_graph import Layer, ModelImportError, flatten
from engine.errors import SproutError
from engine.model.document import GraphDocument
from engine.model.layout import layered_positions

TRAINING_ONLY = ("initializer", "regularizer", "constraint", "seed", "dropout", "trainable", "dtype")
IGNORED = ("name",)
EXAMPLE_COLUMNS = 3  # the examples are laid out for an 800-pixel canvas: three layers side by side
SPROUT_UID = re.compile(r"n\d+")  # a layer Sprout compiled is named after its node: no title from it


@dataclass
class Row:
    """One line of the mapping table: a layer, the node(s) it became and what was noted."""

    layer: str
    keras_class: str
    block: str
    notes: list = field(default_factory=list)


@dataclass
class Mapping:
    """The document built from a model, the table, and how outputs and weights line up."""

    document: GraphDocument
    rows: list
    layers: dict  # node uid -> Layer whose weights it takes
    outputs: list  # Output node uid per model output, in the model's order
    inputs: list  # Input node uid per model input, in the model's order
    opaque: Counter = field(default_factory=Counter)


def class_table(registry: Registry) -> tuple[dict, object | None]:
    """``{Keras class name: [specs]}`` from the blocks' declarations, and the fallback spec."""
    table: dict = {}
    fallback = None
    for spec in registry:
        imp = spec.keras_import
        if imp is None:
            continue
        if imp.fallback:
            fallback = spec
        for name in imp.classes:
            table.setdefault(name, []).append(spec)
    return table, fallback


def normal(value):
    """A config value comparable across rebuilds: tuples as lists, through JSON."""
    return json.loads(json.dumps(value, default=str))


def compare(original: dict, rebuilt: dict, skip=()) -> tuple[list, list]:
    """(notes, blocking): options that differ, split into training-only and the rest."""
    notes, blocking = [], []
    for key in sorted(set(original) | set(rebuilt)):
        if key in IGNORED or key in skip:
            continue
        a, b = normal(original.get(key)), normal(rebuilt.get(key))
        if a == b or [a] == b or a == [b]:  # a built layer may hold axis=-1 as [-1]
            continue
        text = f"{key}={_brief(a)} not kept"
        (notes if any(t in key for t in TRAINING_ONLY) else blocking).append(text)
    return notes, blocking


def _brief(value) -> str:
    if isinstance(value, dict):
        value = value.get("class_name", value)
    text = json.dumps(value) if not isinstance(value, str) else value
    return text if len(text) <= 40 else text[:37] + "..."


@dataclass
class _Choice:
    spec: object
    params: dict
    notes: list
    after: tuple | None = None  # (activation spec, params) for an activation node after the layer


def map_model(model, registry: Registry, partial: bool = False, max_columns: int = EXAMPLE_COLUMNS) -> Mapping:
    """The graph document standing for ``model``, laid out, with its mapping table.

    Raises:
        ModelImportError: layers no block stands for (unless ``partial``), an input no
            Input block takes, or a shared layer.
    """
    layers, input_uids, output_ends = flatten(model)
    table, fallback = class_table(registry)
    doc = GraphDocument(registry)
    result = Mapping(doc, [], {}, [], list(input_uids))
    ends: dict = {}  # layer uid -> (node uid, port) carrying its output
    missing: Counter = Counter()
    reasons: dict = {}
    outputs = {uid for uid, _ in output_ends}
    for lay in layers:
        if lay.class_name == "InputLayer":
            _add_input(doc, table, lay, result, ends)
            continue
        choice = _choose(lay, table, lay.uid in outputs)
        if not isinstance(choice, list) and any(uid not in ends for uid, _ in lay.sources):
            continue  # fed by a layer without a block: the import is refused below
        if isinstance(choice, list):
            if not partial or fallback is None:
                missing[lay.class_name] += 1
                reasons.setdefault(lay.class_name, choice)
                continue
            if _feeds(fallback, lay.sources) is None:
                raise ModelImportError(f"layer {lay.uid} ({lay.class_name}) has {len(lay.sources)} inputs; "
                                       f"a kept Keras layer takes at most {len(fallback.inputs)}")
            choice = _Choice(fallback, fallback.keras_import.params(saved_entry(lay)),
                             ["kept as saved (read-only Keras layer node)"] + choice[:1])
            result.opaque[lay.class_name] += 1
        _add_layer(doc, lay, choice, result, ends)
    if missing:
        raise ModelImportError("no block for: " + ", ".join(_missing_text(c, n, reasons[c]) for c, n in missing.items())
                               + "; a partial import (--partial) keeps them as read-only Keras layer nodes")
    out_spec = next(s for s in registry if s.role == "output")
    for uid, _ in output_ends:
        node_uid, _ = ends[uid]
        if doc.spec(node_uid).role == "output":
            result.outputs.append(node_uid)
            continue
        out_uid = _fresh(doc, f"{uid}_output")
        doc.add_node(out_spec.id, {}, uid=out_uid)
        doc.add_link(*ends[uid], out_uid, out_spec.input_names()[0])
        result.outputs.append(out_uid)
        result.rows.append(Row(f"(output of {uid})", "-", out_spec.id, ["loss 'auto': a model file does not say"]))
    for uid, pos in layered_positions(doc, max_columns=max_columns).items():
        doc.move_node(uid, pos)
    return result


def _missing_text(cls: str, count: int, why: list) -> str:
    return f"{cls} ({count}{': ' + why[0] if why else ''})"


def _fresh(doc: GraphDocument, base: str) -> str:
    uid, n = base, 1
    while uid in doc.nodes:
        n += 1
        uid = f"{base}{n}"
    return uid


def _title(uid: str, spec) -> str | None:
    return None if SPROUT_UID.fullmatch(uid) else uid


def _add_input(doc, table, lay: Layer, result: Mapping, ends: dict) -> None:
    spec = next((s for s in table.get("InputLayer", []) if s.role == "input"), None)
    if spec is None:
        raise ModelImportError("no block stands for a model input (InputLayer)")
    try:
        doc.add_node(spec.id, spec.keras_import.params(lay.config), uid=lay.uid, title=_title(lay.uid, spec))
    except SproutError as exc:
        raise ModelImportError(f"input {lay.uid}: {exc}") from None
    ends[lay.uid] = (lay.uid, spec.output_names()[0])
    result.rows.append(Row(lay.uid, "InputLayer", spec.id))


def _add_layer(doc, lay: Layer, choice: _Choice, result: Mapping, ends: dict) -> None:
    spec = choice.spec
    doc.add_node(spec.id, choice.params, uid=lay.uid, title=_title(lay.uid, spec))
    for port, src in zip(spec.input_names(), _feeds(spec, lay.sources)):
        doc.add_link(*ends[src], lay.uid, port)
    result.layers[lay.uid] = lay
    ends[lay.uid] = (lay.uid, spec.output_names()[0]) if spec.outputs else (lay.uid, None)
    row = Row(lay.uid, lay.class_name, spec.id, list(choice.notes))
    if choice.after is not None:
        act_spec, act_params = choice.after
        act_uid = _fresh(doc, f"{lay.uid}_activation")
        doc.add_node(act_spec.id, act_params, uid=act_uid)
        doc.add_link(lay.uid, spec.output_names()[0], act_uid, act_spec.input_names()[0])
        ends[lay.uid] = (act_uid, act_spec.output_names()[0])
        row.block += f" + {act_spec.id}"
        row.notes.append(f"activation {choice.params.get('activation')} -> linear, then a {act_spec.title} node")
    result.rows.append(row)


def _feeds(spec, sources: list) -> list | None:
    """The layers feeding each input port, or None when the block's ports cannot take them."""
    ports = spec.inputs
    feeds = [uid for uid, _ in sources]
    if len(ports) == 1 and ports[0].kind != "tensor" and len(set(feeds)) == 1:
        feeds = feeds[:1]  # a (high, low) pair travels on one link
    required = sum(1 for p in ports if not p.optional)
    return feeds if required <= len(feeds) <= len(ports) else None


def _choose(lay: Layer, table: dict, is_output: bool) -> _Choice | list:
    """The first block standing for ``lay``, or the reasons each candidate gave up."""
    reasons = []
    for spec in table.get(lay.class_name, []):
        if spec.role == "input" or (spec.role == "output" and not is_output):
            continue
        try:
            params = spec.keras_import.params(lay.config)
        except (KeyError, TypeError, ValueError) as exc:
            reasons.append(f"{type(exc).__name__}: {exc}")
            continue
        if params is None:
            continue
        if _feeds(spec, lay.sources) is None:
            reasons.append(f"{len(lay.sources)} inputs")
            continue
        after, skip = None, ()
        names = {p.name for p in spec.params}
        wanted = lay.config.get("activation")
        if "activation" in names and "activation" not in params and wanted is not None:
            if wanted in spec.param("activation").choices:
                params["activation"] = wanted
            else:
                after = _activation_node(table, wanted)
                if after is None:
                    reasons.append(f"activation={_brief(wanted)} has no block")
                    continue
                params["activation"], skip = "linear", ("activation",)
        try:
            params = spec.validate_params(params)
            built = spec.build(params, lay.uid)
        except Exception as exc:  # a ParamError, or Keras refusing the options
            reasons.append(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
            continue
        if type(built).__name__ != lay.class_name:
            continue
        notes, blocking = compare(lay.config, built.get_config(), skip)
        if blocking:
            reasons.append(", ".join(blocking))
            continue
        return _Choice(spec, params, notes, after)
    return reasons


def _activation_node(table: dict, name) -> tuple | None:
    """(spec, params) of the block standing for ``Activation(name)``, or None."""
    for spec in table.get("Activation", []):
        params = spec.keras_import.params({"activation": name})
        if params is not None:
            return spec, spec.validate_params(params)
    return None


def saved_entry(lay: Layer) -> dict:
    """What the fallback block keeps of a layer: class, config, shapes, weights and a MAC estimate."""
    obj = lay.obj
    outs = _shapes(getattr(obj, "output", None))
    if len(outs) != 1:
        raise ModelImportError(f"layer {lay.uid} ({lay.class_name}) has {len(outs)} outputs; "
                               "Sprout keeps single-output layers only")
    kernels = sum(int(w.shape.num_elements() if hasattr(w.shape, "num_elements") else _size(w.shape))
                  for w in obj.weights if len(w.shape) >= 2)
    positions = _size(outs[0][1:-1])
    return {"class_name": lay.class_name, "config": normal(lay.config),
            "input_shapes": _shapes(getattr(obj, "input", None)), "output_shape": outs[0],
            "weights": int(obj.count_params()), "macs": int(kernels * positions)}


def _shapes(value) -> list:
    leaves = list(value) if isinstance(value, (list, tuple)) else ([] if value is None else [value])
    return [list(t.shape) for t in leaves]


def _size(shape) -> int:
    n = 1
    for d in shape:
        n *= int(d or 1)
    return n
