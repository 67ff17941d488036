"""``blocks``: every registered block with its id, category, ports and parameters."""
from __future__ import annotations

import json

from blocks.registry import default_registry


def add_parser(subparsers):
    """Register ``blocks [--json]``."""
    p = subparsers.add_parser("blocks", help="list every block with its ports and parameters")
    p.add_argument("--json", action="store_true")
    return p


def run(args) -> int:
    """Print the blocks by category (or all of them as JSON) on stdout."""
    registry = default_registry()
    if args.json:
        print(json.dumps({"blocks": [s.to_json() for s in registry]}, indent=2))
        return 0
    for cat, specs in registry.categories().items():
        print(cat)
        for s in specs:
            ins = ", ".join(p.name for p in s.inputs) or "-"
            outs = ", ".join(p.name for p in s.outputs) or "-"
            params = ", ".join(f"{p.name}={p.default!r}" for p in s.params)
            print(f"  {s.id:<24} in: {ins:<16} out: {outs:<6} {params}")
    return 0
