"""Target devices and what a graph needs of one: flash, peak RAM and a latency estimate.

Presets live in ``resources/devices/presets.json`` (data, editable; a user file can add
more). The estimates are pure Python from the graph's shapes and costs, live on every
edit: flash = parameters x bytes per weight at the chosen precision (what the TFLite
file's weights take; the file adds a few KB of structure), peak RAM = the largest set of
activation tensors alive at once over the topological order (what an arena planner that
frees a tensor after its last use must hold), latency = MACs / the device's MAC rate.
Once a TFLite file exists, the arena the LiteRT interpreter reports replaces the RAM
estimate (:func:`estimate` takes it).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from engine.errors import SproutError

PRESETS = Path(__file__).resolve().parents[2] / "resources" / "devices" / "presets.json"
WEIGHT_BYTES = {"float32": 4, "float16": 2, "int8": 1}
ACTIVATION_BYTES = {"float32": 4, "float16": 4, "int8": 1}  # float16 TFLite computes in float32


class DeviceError(SproutError):
    """A device preset file or name is not usable."""


@dataclass(frozen=True)
class Device:
    """One target: limits (0 = none) and a rough sustained MAC rate."""

    id: str
    title: str
    flash_kb: float
    ram_kb: float
    macs_per_s: float
    precision: str = "int8"
    formats: tuple = ()


def load_devices(path: str | Path | None = None) -> list[Device]:
    """The presets of ``path`` (default: the shipped file), each checked; DeviceError in one line.

    Read again only when the file changes (the gauges ask on every edit).
    """
    path = Path(path or PRESETS)
    try:
        stat = path.stat()
        key = (stat.st_mtime_ns, stat.st_size)
    except OSError:
        key = None
    return list(_load(str(path), key))


@lru_cache(maxsize=8)
def _load(path: str, _key) -> tuple[Device, ...]:
    from engine.reader import read_text

    try:
        data = json.loads(read_text(Path(path), 1 << 20, "device presets", DeviceError))
        devices = []
        for d in data["devices"]:
            device = Device(str(d["id"]), str(d["title"]), float(d["flash_kb"]), float(d["ram_kb"]),
                            float(d["macs_per_s"]), str(d.get("precision", "int8")), tuple(d.get("formats", ())))
            if device.precision not in WEIGHT_BYTES or device.macs_per_s <= 0 or min(device.flash_kb,
                                                                                      device.ram_kb) < 0:
                raise ValueError(f"device {device.id}: bad precision, MAC rate or limits")
            devices.append(device)
    except (ValueError, KeyError, TypeError) as exc:
        raise DeviceError(f"{path}: not a valid device preset file ({exc})") from None
    return tuple(devices)


def device_named(name: str, path: str | Path | None = None) -> Device:
    """The preset with id ``name``; DeviceError listing the known ids otherwise."""
    devices = load_devices(path)
    for device in devices:
        if device.id == name:
            return device
    raise DeviceError(f"unknown device {name!r}; choose one of {', '.join(d.id for d in devices)}")


@dataclass(frozen=True)
class Estimate:
    """What the graph needs at a precision.

    ``ram_bytes`` is the arena a TFLite Micro interpreter would need: the peak of the
    activations alive at once plus the margin :mod:`engine.export.arena` adds (bookkeeping
    per tensor and op, fragmentation), or the arena measured from a ``.tflite`` when
    one exists (``ram_source`` says which).
    """

    flash_bytes: int
    ram_bytes: int
    latency_s: float
    ram_source: str  # "estimate" or "interpreter arena"
    peak_bytes: int = 0  # the activation peak alone


def peak_activation_bytes(totals: dict, precision: str = "float32") -> int:
    """The activation peak of an analysis (``Analysis.totals()``) at ``precision``."""
    return int(totals.get("peak_activation_values", 0)) * ACTIVATION_BYTES[precision]


def arena_margin(totals: dict, peak_bytes: int, bytes_per_value: int = 4) -> int:
    """The arena's margin over the peak, with the constants of :mod:`engine.export.arena`.

    The graph does not know the converter's tensor table, so it counts a tensor per
    node output plus one per weight array (kernel and bias of a weighted node), an op per
    node, and the largest scratch buffer a block declares (``Cost.scratch_values``, a
    convolution's im2col) in place of the kernels' scratch tensors.
    """
    from engine.export import arena

    nodes = int(totals.get("nodes", 0))
    tensors = nodes + 2 * int(totals.get("weighted_nodes", 0))
    scratch = arena.aligned(int(totals.get("scratch_values", 0)) * bytes_per_value)
    return (scratch + arena.OVERHEAD_FIXED + arena.OVERHEAD_PER_TENSOR * tensors + arena.OVERHEAD_PER_OP * nodes
            + int(arena.FRAGMENTATION * peak_bytes))


def estimate(totals: dict, device: Device, precision: str | None = None, arena_bytes: int | None = None,
             macs_per_s: float | None = None) -> Estimate:
    """Flash, peak RAM and latency of a graph (its ``Analysis.totals()``) on ``device``.

    ``precision`` defaults to the device's; ``arena_bytes`` (from a converted file)
    replaces the RAM estimate; ``macs_per_s`` overrides the device's rate.
    """
    precision = precision or device.precision
    flash = int(totals["params"]) * WEIGHT_BYTES[precision]
    peak = peak_activation_bytes(totals, precision)
    if arena_bytes is not None:
        ram, source = int(arena_bytes), "interpreter arena"
    else:
        ram, source = peak + arena_margin(totals, peak, ACTIVATION_BYTES[precision]), "estimate"
    return Estimate(flash, ram, float(totals["macs"]) / (macs_per_s or device.macs_per_s), source, peak)


def budget_precision(budget: dict) -> str:
    """The precision a project's budget sizes flash at: its own, its device's, else int8."""
    precision = budget.get("precision")
    if precision in WEIGHT_BYTES:
        return precision
    device = _preset(budget.get("device"))
    return device.precision if device else "int8"


def budget_estimate(totals: dict, budget: dict, arena_bytes: int | None = None) -> Estimate:
    """The estimate for a project's budget: its precision and MAC rate (or its device's)."""
    device = _preset(budget.get("device")) or CUSTOM
    rate = budget.get("macs_per_s")
    rate = float(rate) if isinstance(rate, (int, float)) and not isinstance(rate, bool) and rate > 0 else None
    return estimate(totals, device, budget_precision(budget), arena_bytes, rate)


CUSTOM = Device("custom", "Custom", 0.0, 0.0, 1.0e9)


def _preset(name) -> Device | None:
    if not isinstance(name, str) or not name:
        return None
    try:
        return device_named(name)
    except DeviceError:
        return None
