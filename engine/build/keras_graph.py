"""Read a loaded Keras model as a flat list of layers: nested models opened, shared layers refused.

Functional models are read from their config (which layer feeds which, by name); a
Sequential is a chain. A model inside a model (at any depth) is flattened: its layers
join the outer list and its inputs are the tensors that fed it. Only the model object
handed in is touched; nothing here imports Keras.
"""
from __future__ import annotations

from dataclasses import dataclass

from engine.errors import SproutError


class ModelImportError(SproutError):
    """The model cannot become a Sprout graph; the message says why in one line."""


@dataclass
class Layer:
    """One layer of the flattened model: its node id, config, live object and inputs."""

    uid: str
    class_name: str
    config: dict
    obj: object
    sources: list  # [(uid, tensor index)]


def flatten(model) -> tuple[list[Layer], list, list]:
    """The layers of ``model`` in call order, nested models opened; plus its inputs and outputs.

    Raises:
        ModelImportError: a shared layer, or a Sequential model that was never built.
    """
    layers: list[Layer] = []
    taken: set[str] = set()
    outputs = _add_model(model, None, layers, taken)
    inputs = [lay.uid for lay in layers if lay.class_name == "InputLayer"]  # the model's order (see below)
    return layers, inputs, outputs


def _unique(name: str, taken: set) -> str:
    uid, n = name, 1
    while uid in taken:
        n += 1
        uid = f"{name}_{n}"
    taken.add(uid)
    return uid


def _is_model(obj) -> bool:
    return hasattr(obj, "layers") and hasattr(obj, "get_layer")


def _add_model(model, feeds, layers: list, taken: set) -> list:
    """Append ``model``'s layers; ``feeds`` are the sources of its inputs (None at the top)."""
    if type(model).__name__ == "Sequential":
        return _add_sequential(model, feeds, layers, taken)
    config = model.get_config()
    alias: dict = {}
    if feeds is not None:  # a nested model's inputs are the outer tensors feeding it
        alias.update({(name, 0): src for name, src in zip(_ends(config["input_layers"]), feeds)})
    for entry in config["layers"]:
        name, obj = entry["name"], model.get_layer(entry["name"])
        if entry["class_name"] == "InputLayer":
            if feeds is None:
                uid = _unique(name, taken)
                layers.append(Layer(uid, "InputLayer", entry["config"], obj, []))
                alias[(name, 0)] = (uid, 0)
            continue
        if len(entry["inbound_nodes"]) != 1:
            raise ModelImportError(f"layer {name} is called {len(entry['inbound_nodes'])} times (shared weights); "
                                   "a Sprout graph has one node per layer")
        sources = [alias[(h[0], h[2])] for h in _histories(entry["inbound_nodes"][0])]
        if _is_model(obj):
            outs = _add_model(obj, sources, layers, taken)
            alias.update({(name, i): src for i, src in enumerate(outs)})
            continue
        uid = _unique(name, taken)
        layers.append(Layer(uid, entry["class_name"], obj.get_config(), obj, sources))
        for i in range(max(1, len(_leaves(getattr(obj, "output", None))))):
            alias[(name, i)] = (uid, i)
    if feeds is None:  # list the inputs in the model's order, as predictions are fed
        order = {alias[(name, 0)][0]: i for i, name in enumerate(_ends(config["input_layers"]))}
        inputs = sorted((lay for lay in layers if lay.class_name == "InputLayer"), key=lambda x: order[x.uid])
        layers[:] = inputs + [lay for lay in layers if lay.class_name != "InputLayer"]
    ends = config["output_layers"]
    ends = ends if isinstance(ends[0], list) else [ends]
    return [alias[(e[0], e[2])] for e in ends]


def _ends(value) -> list:
    """Layer names of a config's ``input_layers``: one ``[name, node, index]`` or a list of them."""
    return [e[0] for e in value] if isinstance(value[0], list) else [value[0]]


def _add_sequential(model, feeds, layers: list, taken: set) -> list:
    if feeds is None:
        if not getattr(model, "inputs", None):
            raise ModelImportError("the Sequential model was never built: it has no input shape")
        tensor = model.inputs[0]
        uid = _unique(getattr(tensor, "name", None) or "input", taken)
        config = {"batch_shape": list(tensor.shape), "dtype": str(tensor.dtype)}
        layers.append(Layer(uid, "InputLayer", config, None, []))
        feeds = [(uid, 0)]
    current = feeds
    for obj in model.layers:
        if _is_model(obj):
            current = _add_model(obj, current, layers, taken)
            continue
        uid = _unique(obj.name, taken)
        layers.append(Layer(uid, type(obj).__name__, obj.get_config(), obj, list(current)))
        current = [(uid, 0)]
    return current


def _histories(node: dict) -> list:
    """``keras_history`` of every tensor argument of one inbound node, in order."""
    found = []

    def visit(value):
        if isinstance(value, dict) and value.get("class_name") == "__keras_tensor__":
            found.append(value["config"]["keras_history"])
        elif isinstance(value, (list, tuple)):
            for v in value:
                visit(v)
    visit(node.get("args", []))
    return found


def _leaves(value) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _shape_list(value):
    return [list(t.shape) for t in _leaves(value)]
