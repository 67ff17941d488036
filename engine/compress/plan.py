"""A compression plan: steps in order, validated in full before any work starts.

The plan is a contract other tools read and write (add keys freely, rename none):

    {"steps": [{"method": "distill", "width": 0.5, "temperature": 4, "alpha": 0.3, "epochs": 10},
               {"method": "factorize", "energy": 0.9, "fine_tune_epochs": 2},
               {"method": "prune", "sparsity": 0.8, "structured": false, "schedule": "polynomial",
                "fine_tune_epochs": 3},
               {"method": "quantize", "mode": "int8"}]}

:func:`parse_plan` checks every key and value (one line naming the step, what was
expected and what was received); :func:`check_plan` then checks the plan against the
model and data (a rank larger than its layer, distillation without a classifier output,
a block the TFLite format cannot carry) so that a bad plan costs no training time.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

from engine.errors import CompressionError
from engine.train.config import short_repr

QUANT_MODES = ("float16", "dynamic", "int8", "qat")

# method -> key -> (kind, low, high, default); kinds: float, int, bool, choice tuple, names, student
_KEYS = {
    "prune": {"sparsity": ("float", 0.0, 1.0, None), "structured": ("bool", None, None, False),
              "scope": (("layer", "global"), None, None, "global"),
              "schedule": (("one_shot", "polynomial"), None, None, "one_shot"),
              "fine_tune_epochs": ("int", 0, 1000, 0), "learning_rate": ("float", 0.0, 10.0, None),
              "layers": ("names", None, None, None)},
    "quantize": {"mode": (QUANT_MODES, None, None, "int8"), "fine_tune_epochs": ("int", 0, 1000, 1),
                 "learning_rate": ("float", 0.0, 10.0, None), "int8_io": (("int8", "float"), None, None, "int8")},
    "distill": {"width": ("float", 0.0, 1.0, 0.5), "temperature": ("float", 0.0, 100.0, 4.0),
                "alpha": ("float", -1e-12, 1.0, 0.3), "epochs": ("int", 1, 10000, 10),
                "student": ("student", None, None, "slim"), "learning_rate": ("float", 0.0, 10.0, None)},
    "factorize": {"energy": ("float", 0.0, 1.0, None), "rank": ("int", 1, 1 << 20, None),
                  "fine_tune_epochs": ("int", 0, 1000, 0), "learning_rate": ("float", 0.0, 10.0, None),
                  "layers": ("names", None, None, None)},
}
METHODS = tuple(sorted(_KEYS))
REQUIRED = {"prune": ("sparsity",)}
OPEN_LOW = {"sparsity", "width", "temperature", "energy", "learning_rate"}  # 0 itself is refused


@dataclass(frozen=True)
class Plan:
    """Validated steps (each a dict with every key filled in)."""

    steps: tuple

    def to_json(self) -> dict:
        """The plan as saved in a project's ``compression`` section and in ``report.json``."""
        return {"steps": [dict(s) for s in self.steps]}


SECTION = "compression"  # a project's saved plan: {"version": 1, "steps": [...]}
SECTION_VERSION = 1


def project_plan(project) -> Plan | None:
    """The plan saved in a project's ``compression`` section, or None when it has none.

    Raises:
        CompressionError: the section is there but is not a valid plan (or a newer version).
    """
    data = getattr(project, "extra", {}).get(SECTION)
    if data is None:
        return None
    where = f"{getattr(project, 'path', None) or 'project'}: compression section"
    if not isinstance(data, dict) or data.get("version", SECTION_VERSION) != SECTION_VERSION:
        raise CompressionError(f"{where}: expected version {SECTION_VERSION} with \"steps\"")
    return parse_plan({"steps": data.get("steps")}, where)


def save_to_project(project, plan: Plan) -> None:
    """Store ``plan`` as the project's ``compression`` section (written with the project)."""
    project.extra[SECTION] = {"version": SECTION_VERSION, **plan.to_json()}


def load_plan(text: str, source: str = "plan") -> Plan:
    """Parse a plan file's text."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise CompressionError(f"{source}: not valid JSON ({exc})") from None
    return parse_plan(data, source)


def parse_plan(data, source: str = "plan") -> Plan:
    """Validate a plan; raises CompressionError on the first problem, in one line."""
    if not isinstance(data, dict) or not isinstance(data.get("steps"), list) or not data["steps"]:
        raise CompressionError(f'{source}: expected {{"steps": [...]}} with at least one step')
    steps = []
    for i, raw in enumerate(data["steps"], 1):
        if not isinstance(raw, dict):
            raise CompressionError(f"{source}: step {i} is {short_repr(raw)}, expected an object with a \"method\"")
        method = raw.get("method")
        if method not in _KEYS:
            raise CompressionError(f"{source}: step {i}: unknown method {short_repr(method)} "
                                   f"(expected one of {', '.join(METHODS)})")
        steps.append(_step(raw, method, f"{source}: step {i} ({method})"))
    for i, step in enumerate(steps[:-1], 1):
        if step["method"] == "quantize":
            raise CompressionError(f"{source}: step {i} (quantize) must be the last step: "
                                   "a quantized model cannot be pruned, factorized or distilled further")
    return Plan(tuple(steps))


def _step(raw: dict, method: str, where: str) -> dict:
    keys = _KEYS[method]
    unknown = sorted(set(raw) - set(keys) - {"method"})
    if unknown:
        raise CompressionError(f"{where}: unknown key {unknown[0]!r} (expected {', '.join(sorted(keys))})")
    for key in REQUIRED.get(method, ()):
        if key not in raw:
            raise CompressionError(f"{where}: {key} is required")
    out = {"method": method}
    for key, (kind, low, high, default) in keys.items():
        value = raw.get(key, default)
        out[key] = value if value is None else _value(where, key, kind, low, high, value)
    if method == "factorize" and out["energy"] is None and out["rank"] is None:
        out["energy"] = 0.9
    if method == "factorize" and out["energy"] is not None and out["rank"] is not None:
        raise CompressionError(f"{where}: give energy or rank, not both")
    return out


def _value(where, key, kind, low, high, value):
    if isinstance(kind, tuple):
        if value not in kind:
            raise CompressionError(f"{where}: Expected {key} in {list(kind)}. Received: {key}={short_repr(value)}")
        return value
    if kind == "bool":
        if not isinstance(value, bool):
            raise CompressionError(f"{where}: Expected {key} true or false. Received: {key}={short_repr(value)}")
        return value
    if kind == "names":
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise CompressionError(f"{where}: Expected {key} a list of node ids or titles. "
                                   f"Received: {key}={short_repr(value)}")
        return list(value)
    if kind == "student":
        if not isinstance(value, str) or not value:
            raise CompressionError(f'{where}: Expected student "slim", "previous" or a .sprout file. '
                                   f"Received: student={short_repr(value)}")
        return value
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "int" and not (number and float(value).is_integer()):
        raise CompressionError(f"{where}: Expected {key} a whole number. Received: {key}={short_repr(value)}")
    if not number or value != value:
        raise CompressionError(f"{where}: Expected {key} a number. Received: {key}={short_repr(value)}")
    low_ok = value > low if key in OPEN_LOW else value >= low
    high_ok = value < high if key == "sparsity" else value <= high
    if not (low_ok and high_ok):
        lo = "<" if key in OPEN_LOW else "<="
        hi = "<" if key == "sparsity" else "<="
        raise CompressionError(f"{where}: Expected {_n(max(low, 0))} {lo} {key} {hi} {_n(high)}. "
                               f"Received: {key}={short_repr(value)}")
    return int(value) if kind == "int" else float(value)


def _n(x) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)
