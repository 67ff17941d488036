"""The compression report: one row per model (the baseline, then each step), as JSON and Markdown.

``report.json`` is a contract other tools read (add keys freely, rename none):
``{"baseline": ROW, "steps": [ROW, ...], "plan": PLAN, "stopped": bool}`` where a ROW has
``method``, ``params``, ``nonzero_params``, ``macs``, ``size_bytes``, ``size_gz_bytes``
(of that step's TFLite), ``accuracy`` (test split, measured by the LiteRT interpreter
running the file), ``latency_ms`` (per sample, LiteRT, one thread) and ``file``.
"""
from __future__ import annotations

import json
from pathlib import Path

from engine import atomic
from engine.compress.measure import Measurement

REPORT_JSON, REPORT_MD = "report.json", "report.md"


def row(method: str, params: int, nonzero: int, macs: int | None, variant: str, model_file: Path,
        measured: Measurement | str | None, notes=()) -> dict:
    """One row; ``measured`` is the TFLite measurement, an error line, or None (stopped first)."""
    out = {"method": method, "params": int(params), "nonzero_params": int(nonzero),
           "macs": None if macs is None else int(macs), "variant": variant, "model_file": str(model_file),
           "size_bytes": None, "size_gz_bytes": None, "accuracy": None, "keras_accuracy": None,
           "latency_ms": None, "agreement": None, "file": None, "error": None, "notes": list(notes)}
    if isinstance(measured, Measurement):
        out.update(size_bytes=measured.size_bytes, size_gz_bytes=measured.size_gz_bytes,
                   accuracy=measured.accuracy, keras_accuracy=measured.keras_accuracy,
                   latency_ms=measured.latency_ms, agreement=measured.agreement, file=str(measured.file))
    elif isinstance(measured, str):
        out["error"] = measured
    return out


def compare(rows: list[dict], baseline: dict) -> list[dict]:
    """Each row with its ratios to the baseline: size (gzipped), accuracy drop in points, latency."""
    out = []
    for r in rows:
        extra = {}
        if r["size_gz_bytes"] and baseline["size_gz_bytes"]:
            extra["size_ratio"] = baseline["size_gz_bytes"] / r["size_gz_bytes"]
        if r["accuracy"] is not None and baseline["accuracy"] is not None:
            extra["accuracy_drop_points"] = 100.0 * (baseline["accuracy"] - r["accuracy"])
        if r["latency_ms"] and baseline["latency_ms"]:
            extra["latency_ratio"] = r["latency_ms"] / baseline["latency_ms"]
        out.append({**r, **extra})
    return out


def write_report(folder: Path, baseline: dict, steps: list[dict], plan: dict, stopped: bool,
                 source: str) -> dict:
    """Write ``report.json`` and ``report.md`` into ``folder``; returns the report."""
    report = {"source": source, "baseline": baseline, "steps": compare(steps, baseline), "plan": plan,
              "stopped": bool(stopped)}
    atomic.write_text(Path(folder) / REPORT_JSON, json.dumps(report, indent=2) + "\n")
    atomic.write_text(Path(folder) / REPORT_MD, markdown(report))
    return report


def _num(v, fmt: str = ",") -> str:
    return "-" if v is None else format(v, fmt)


def markdown(report: dict) -> str:
    """The report as a Markdown table, one line of notes per step below it."""
    lines = [f"# Compression report: {report['source']}", "",
             "| step | TFLite | params | non-zero | MACs | bytes | gzipped | size x | accuracy | drop (pt) "
             "| latency ms |", "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for i, r in enumerate([report["baseline"], *report["steps"]]):
        name = "baseline" if i == 0 else f"{i}. {r['method']}"
        acc = "-" if r["accuracy"] is None else f"{100 * r['accuracy']:.2f}%"
        lines.append(f"| {name} | {r['variant']} | {_num(r['params'])} | {_num(r['nonzero_params'])} "
                     f"| {_num(r['macs'])} | {_num(r['size_bytes'])} | {_num(r['size_gz_bytes'])} "
                     f"| {_num(r.get('size_ratio', 1.0 if i == 0 else None), '.1f')} | {acc} "
                     f"| {_num(r.get('accuracy_drop_points'), '+.2f')} | {_num(r['latency_ms'], '.4f')} |")
    lines.append("")
    for i, r in enumerate(report["steps"], 1):
        for note in r["notes"]:
            lines.append(f"- step {i} ({r['method']}): {note}")
        if r["error"]:
            lines.append(f"- step {i} ({r['method']}): NOT MEASURED: {r['error']}")
    if report["stopped"]:
        lines.append("- stopped before the plan finished: the steps above are the ones that completed")
    lines.append("")
    lines.append("Accuracy: the test split run through each TFLite file by the LiteRT interpreter; "
                 "size x: gzipped baseline float32 TFLite / gzipped TFLite of the step.")
    return "\n".join(lines) + "\n"


COMPRESSED_DIR = "compressed"  # inside a run folder: where ``compress RUN`` puts its steps


def read_children(run_folder: Path | None) -> list[dict]:
    """The compressed models of a run (``compressed/report.json``), one dict per step; [] when none.

    Read through the bounded reader; a missing, unreadable or malformed report is no
    children (a run list never fails because of one).
    """

    if run_folder is None:
        return []
    return _plan_children(Path(run_folder) / COMPRESSED_DIR / REPORT_JSON) + \
        _fit_children(Path(run_folder) / COMPRESSED_DIR / "fit" / REPORT_JSON)


def _fit_children(path: Path) -> list[dict]:
    """The plans a fit-to-budget search tried (``compressed/fit/report.json``'s ``plans``), the chosen one marked."""
    from engine.errors import SproutError
    from engine.reader import read_text

    if not path.is_file():
        return []
    try:
        data = json.loads(read_text(path, 8 << 20, "fit report"))
        return [{"label": f"fit: {p['label']}" + (" (chosen)" if p["label"] == data.get("winner") else ""),
                 "variant": "int8", "accuracy": p.get("accuracy"), "params": int(p.get("params") or 0),
                 "nonzero_params": int(p.get("nonzero_params") or 0), "macs": None,
                 "size_gz_bytes": p.get("size_gz_bytes"), "size_ratio": None, "file": p.get("file"),
                 "model_file": p.get("model_file")} for p in data["plans"] if isinstance(p, dict)]
    except (SproutError, ValueError, KeyError, TypeError):
        return []


def _plan_children(path: Path) -> list[dict]:
    from engine.errors import SproutError
    from engine.reader import read_text

    if not path.is_file():
        return []
    try:
        data = json.loads(read_text(path, 8 << 20, "compression report"))
        steps = data["steps"]
        return [{"label": f"{i}. {s['method']}", "variant": str(s.get("variant", "")),
                 "accuracy": s.get("accuracy"), "params": int(s.get("params") or 0),
                 "nonzero_params": int(s.get("nonzero_params") or 0), "macs": s.get("macs"),
                 "size_gz_bytes": s.get("size_gz_bytes"), "size_ratio": s.get("size_ratio"),
                 "file": s.get("file"), "model_file": s.get("model_file")}
                for i, s in enumerate(steps, 1) if isinstance(s, dict)]
    except (SproutError, ValueError, KeyError, TypeError):
        return []
