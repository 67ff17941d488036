"""``check``: validate a project; a per-node table of shapes, parameters and MACs."""
from __future__ import annotations

import json
import sys

from engine.analysis.graph import analyze
from engine.train.workflow import open_project


def add_parser(subparsers):
    """Register ``check PROJECT [--json]``."""
    p = subparsers.add_parser("check", help="validate a project: shapes, parameters, MACs per node")
    p.add_argument("project")
    p.add_argument("--json", action="store_true", help="print the table as JSON")
    return p


def run(args) -> int:
    """Print the table (or JSON) on stdout, diagnostics on stderr; exit 1 when any node is faulty."""
    project = open_project(args.project)
    doc = project.document
    analysis = analyze(doc, _data_info(project))
    rows = []
    for uid in analysis.order:
        res = analysis.nodes[uid]
        shape = res.out_shapes[0] if res.out_shapes else None
        rows.append({"id": uid, "block": res.block, "title": doc.node(uid).title,
                     "output_shape": list(shape) if shape else None,
                     "params": res.cost.params, "macs": res.cost.macs})
    totals = analysis.totals()
    if args.json:
        print(json.dumps({"ok": analysis.ok, "nodes": rows, "totals": totals,
                          "diagnostics": [{"node": d.uid, "severity": d.severity, "message": d.message}
                                          for d in analysis.diagnostics]}, indent=2))
    else:
        print(f"{'node':<8} {'block':<24} {'output shape':<22} {'params':>10} {'MACs':>12}")
        for r in rows:
            spec = doc.spec(r["id"])
            shape = "- (technique)" if not spec.inputs and not spec.outputs else shape_text(r["output_shape"])
            print(f"{r['id']:<8} {r['block']:<24} {shape:<22} {r['params']:>10,} {r['macs']:>12,}")
        print(f"total: {totals['params']:,} parameters, {totals['macs']:,} MACs, "
              f"{totals['activation_bytes'] / 1024:.1f} KiB activations per sample, "
              f"{totals['size_float32_bytes'] / 1024:.1f} KiB at float32, "
              f"{totals['size_int8_bytes'] / 1024:.1f} KiB at int8")
    for d in analysis.diagnostics:
        print(f"{d.severity}: {d}", file=sys.stderr)
    return 0 if analysis.ok else 1


def shape_text(shape) -> str:
    """(None, 8, 8, 1) -> '(batch, 8, 8, 1)'; a (high, low) pair -> 'H (batch, ...) | L (batch, ...)'."""
    if not shape:
        return "?"
    if isinstance(shape[0], (list, tuple)):
        return " | ".join(f"{tag} {shape_text(s)}" for tag, s in zip("HL", shape) if s)
    return "(batch, " + ", ".join(map(str, shape[1:])) + ")"


def _data_info(project):
    """The project's data for the data checks: embedded sets at once, the user's files read now."""
    from engine.analysis.data_check import DataInfo, known_info
    from engine.data.datasets import DataConfig, load_dataset
    from engine.errors import SproutError

    info = known_info(project.data)
    if info is not None:
        return info
    try:
        base = project.path.parent if project.path else None
        return DataInfo.of_dataset(load_dataset(DataConfig.from_dict(project.data), base_dir=base), project.data)
    except SproutError as exc:
        print(f"note: the graph is not checked against the data: {exc}", file=sys.stderr)
        return None
