"""``export``: write a project's (untrained) model or a trained model file as .keras or .h5."""
from __future__ import annotations

import sys
from pathlib import Path

from engine.errors import SproutError
from engine.train.workflow import open_project

NEEDS_KERAS = True
SUFFIXES = {"keras": ".keras", "h5": ".h5"}


def add_parser(subparsers):
    """Register ``export SOURCE --format {keras,h5} --out FILE``."""
    p = subparsers.add_parser("export", help="export a project or a trained model")
    p.add_argument("source", help="a .sprout project (exports untrained weights) or a .keras/.h5 model")
    p.add_argument("--format", required=True, choices=tuple(SUFFIXES))
    p.add_argument("--out", required=True)
    return p


def run(args) -> int:
    """Export, then print the written path on stdout."""
    from engine.build.compiler import compile_document
    from engine.build.modelio import load_model, save_model

    src = Path(args.source)
    if src.suffix == ".sprout":
        model = compile_document(open_project(src).document).model
        print("note: exporting a project gives untrained weights; train it first to export a trained model",
              file=sys.stderr)
    else:
        model = load_model(src)  # refuses models that carry Python code
    out = Path(args.out)
    suffix = SUFFIXES[args.format]
    if out.suffix != suffix:
        raise SproutError(f"--out {out} must end in {suffix} for --format {args.format}")
    save_model(model, out)
    print(out)
    return 0
