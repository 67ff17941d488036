"""The model card written beside every export: ``model_card.json`` and ``model_card.md``.

It says what a user of the files needs and cannot see in them: the inputs (shape, dtype,
value range, int8 scale and zero point), the outputs and class names, the preprocessing
the model expects (or that it is folded in), the training data and test metrics, the
parameters and MACs, and every file with its size and the check it passed.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from engine import atomic

CARD_JSON, CARD_MD = "model_card.json", "model_card.md"


def card_data(result, source, options, dataset, prep) -> dict:
    """The card as JSON-ready data."""
    fold = options.raw_inputs and prep is not None
    inputs = [dict(i) for i in result.model.get("inputs", [])]
    if dataset is not None and inputs:
        x = dataset.x_train
        raw = prep.invert(x) if fold else x
        inputs[0]["value_range"] = [float(np.min(raw)), float(np.max(raw))]
    quant = {a.path.name: a.details["input"] for a in result.artifacts if isinstance(a.details.get("input"), dict)
             and a.details["input"].get("scale")}
    if prep is None:
        preprocessing = {"expects": "the inputs as they are (the data was used as read)"}
    elif fold:
        preprocessing = {"expects": "raw inputs: the preprocessing below is folded into the model "
                                    "(its first layer, 'sprout_preprocess')", "folded": True, **prep.to_dict()}
    else:
        preprocessing = {"expects": "preprocessed inputs: apply the transform below before calling the model",
                         "folded": False, **prep.to_dict()}
    graph = _graph_totals(source)
    return {
        "name": options.name, "source": source.label, "kind": source.kind,
        "trained": source.kind != "project",
        "inputs": inputs, "outputs": result.model.get("outputs", []),
        "class_names": list(dataset.class_names) if dataset is not None else [],
        "preprocessing": preprocessing, "int8_quantization": quant,
        "data": None if dataset is None else {"dataset": dataset.describe(), "task": dataset.task,
                                              "train": len(dataset.x_train), "val": len(dataset.x_val),
                                              "test": len(dataset.x_test)},
        "metrics": source.record.get("metrics") or {},
        "parameters": result.model.get("params", graph.get("params")), "macs": graph.get("macs"),
        "files": [{"file": a.path.name, "format": a.format, "variant": a.variant, "bytes": a.size,
                   "gzip_bytes": a.gzip_size, "check": a.message, "ok": a.ok, "details": a.details}
                  for a in result.artifacts],
        "failed": result.errors, "preflight": [r.line() for r in result.preflight.rows],
        "stopped": result.stopped,
    }


def write_card(result, source, options, dataset, prep) -> tuple[Path, Path]:
    """Write both card files into ``result.out_dir`` (atomically); returns their paths."""
    data = card_data(result, source, options, dataset, prep)
    out = Path(result.out_dir)
    a = atomic.write_text(out / CARD_JSON, json.dumps(data, indent=2) + "\n")
    b = atomic.write_text(out / CARD_MD, markdown(data))
    return a, b


def markdown(card: dict) -> str:
    """The card for people."""
    lines = [f"# Model card: {card['name']}", "", f"Exported by Sprout from {card['source']}."]
    if not card["trained"]:
        lines.append("**Untrained**: exported from a project, so the weights are the initial ones.")
    lines += ["", "## Inputs"]
    for i in card["inputs"]:
        rng = f", values {i['value_range'][0]:g} to {i['value_range'][1]:g}" if "value_range" in i else ""
        lines.append(f"- `{i['name']}`: shape {tuple(i['shape'])}, {i['dtype']}{rng}")
    for name, q in card["int8_quantization"].items():
        lines.append(f"- in `{name}` the input tensor is {q['dtype']}: q = round(x / {q['scale']:.6g}) "
                     f"{q['zero_point']:+d}; output = (q_out {-q['output_zero_point']:+d}) * {q['output_scale']:.6g}")
    lines += ["", "## Preprocessing", "", card["preprocessing"]["expects"] + "."]
    if "formula" in card["preprocessing"]:
        p = card["preprocessing"]
        lines += ["", f"{p['description']}: `{p['formula']}`", "", f"- offset: {_short(p['offset'])}",
                  f"- scale: {_short(p['scale'])}"]
    lines += ["", "## Outputs"]
    for o in card["outputs"]:
        lines.append(f"- `{o['name']}`: shape {tuple(o['shape'])}, {o['dtype']}")
    if card["class_names"]:
        lines.append(f"- classes (index order): {', '.join(card['class_names'])}")
    lines += ["", "## Training data and metrics", ""]
    lines.append(card["data"]["dataset"] if card["data"] else "No data is known for this model.")
    for split, values in (card["metrics"] or {}).items():
        if isinstance(values, dict):
            shown = ", ".join(f"{k} {v:.4g}" for k, v in values.items() if isinstance(v, (int, float)))
            lines.append(f"- {split}: {shown}")
    lines += ["", "## Size", "", f"- parameters: {card['parameters']:,}" if card["parameters"] is not None
              else "- parameters: unknown"]
    if card["macs"] is not None:
        lines.append(f"- multiply-accumulates per sample: {card['macs']:,}")
    lines += ["", "## Files", "", "| file | bytes | gzipped | check |", "|---|---:|---:|---|"]
    for f in card["files"]:
        lines.append(f"| {f['file']} | {f['bytes']:,} | {f['gzip_bytes']:,} | {'ok' if f['ok'] else 'FAILED'}: "
                     f"{f['check']} |")
    for f in card["failed"]:
        lines.append(f"| {f['file']} | - | - | not written: {f['message']} |")
    arenas = [f for f in card["files"] if "arena_bytes" in (f.get("details") or {})]
    if arenas:
        lines += ["", "## TensorFlow Lite Micro", ""]
        for f in arenas:
            d = f["details"]
            lines.append(f"- `{f['file']}`: array `{d.get('c_array', '?')}`, tensor arena of about "
                         f"{d['arena_bytes']:,} bytes (an estimate from the LiteRT interpreter's tensor table; "
                         "trim it to `arena_used_bytes()` on the device)")
    if card["preflight"]:
        lines += ["", "## Pre-flight", "", *[f"- {line}" for line in card["preflight"]]]
    return "\n".join(lines) + "\n"


def _short(values: list) -> str:
    shown = ", ".join(f"{v:.6g}" for v in values[:8])
    return f"[{shown}{', ...' if len(values) > 8 else ''}] ({len(values)} values)"


def _graph_totals(source) -> dict:
    try:
        project = source.project()
    except Exception:  # noqa: BLE001 - the card is written even when the graph cannot be parsed
        return {}
    if project is None:
        return {}
    from engine.analysis.graph import analyze

    return analyze(project.document).totals()
