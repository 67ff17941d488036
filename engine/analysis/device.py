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
from pathlib import Path

from engine.analysis.budget import BudgetLine
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
    """The presets of ``path`` (default: the shipped file), each checked; DeviceError in one line."""
    from engine.reader import read_text

    path = Path(path or PRESETS)
    try:
        data = json.loads(read_text(path, 1 << 20, "device presets", DeviceError))
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
    return devices


def device_named(name: str, path: str | Path | None = None) -> Device:
    """The preset with id ``name``; DeviceError listing the known ids otherwise."""
    devices = load_devices(path)
    for device in devices:
        if device.id == name:
            return device
    raise DeviceError(f"unknown device {name!r}; choose one of {', '.join(d.id for d in devices)}")


@dataclass(frozen=True)
class Estimate:
    """What the graph needs at a precision."""

    flash_bytes: int
    ram_bytes: int
    latency_s: float
    ram_source: str  # "estimate" or "interpreter arena"


def peak_activation_bytes(doc, analysis, bytes_per_value: int = 4) -> int:
    """The most activation bytes alive at once: each tensor lives from its node to its last reader."""
    order = analysis.order
    position = {uid: i for i, uid in enumerate(order)}
    size = {}
    last_use = {}
    for uid in order:
        result = analysis.nodes[uid]
        size[uid] = sum(_elements(s) for s in (result.out_shapes or ())) * bytes_per_value
        readers = [position[link.target] for link in doc.links_of(uid) if link.source == uid]
        last_use[uid] = max(readers, default=position[uid])
    peak = 0
    for i in range(len(order)):
        live = sum(size[u] for u in order[:i + 1] if last_use[u] >= i)
        peak = max(peak, live)
    return peak


def _elements(shape) -> int:
    n = 1
    for d in tuple(shape)[1:]:
        n *= int(d or 0)
    return n


def estimate(doc, analysis, device: Device, precision: str | None = None, arena_bytes: int | None = None) -> Estimate:
    """Flash, peak RAM and latency of the graph on ``device`` (``precision`` defaults to the device's)."""
    precision = precision or device.precision
    totals = analysis.totals()
    flash = int(totals["params"]) * WEIGHT_BYTES[precision]
    if arena_bytes is not None:
        ram, source = int(arena_bytes), "interpreter arena"
    else:
        ram, source = peak_activation_bytes(doc, analysis, ACTIVATION_BYTES[precision]), "estimate"
    return Estimate(flash, ram, float(totals["macs"]) / device.macs_per_s, source)


def device_lines(est: Estimate, flash_kb: float, ram_kb: float, max_latency_ms: float = 0.0) -> list[BudgetLine]:
    """Gauge lines (as the budget's): flash and RAM against the limits, latency (limit optional)."""
    def line(key, name, used, limit):
        limit = float(limit) if limit and limit > 0 else None
        return BudgetLine(key, name, used, limit, limit is not None and used > limit)
    return [line("flash_kb", "Flash (KB)", est.flash_bytes / 1024, flash_kb),
            line("ram_kb", f"Peak RAM (KB, {est.ram_source})", est.ram_bytes / 1024, ram_kb),
            line("latency_ms", "Latency (ms, estimate)", est.latency_s * 1000, max_latency_ms)]
