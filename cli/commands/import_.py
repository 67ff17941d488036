"""``import``: a ``.keras``/``.h5`` model file becomes a Sprout project plus a run with its weights.

Prints the mapping table (layer -> block, with what was noted for each) on stdout and
what could not be mapped on stderr. A model with code in it (a Lambda) is refused, never
run; layers no block stands for refuse the import unless ``--partial`` keeps them.
"""
from __future__ import annotations

import sys
from pathlib import Path

NEEDS_KERAS = True


def add_parser(subparsers):
    """Register ``import MODEL --out PROJECT.sprout [--partial] [--data DATA]``."""
    p = subparsers.add_parser("import", help="open a .keras/.h5 model as an editable project with its weights")
    p.add_argument("model", help="a .keras or .h5 model file")
    p.add_argument("--out", required=True, help="the project file to create (PROJECT.sprout; its run goes "
                                                "to PROJECT.runs/ beside it)")
    p.add_argument("--partial", action="store_true",
                   help="keep layers no block stands for as read-only Keras layer nodes instead of refusing")
    p.add_argument("--data", default=None, help="the project's data: an embedded dataset name or a file "
                                                "(default: digits)")
    return p


def run(args) -> int:
    """Import with a progress bar; the table on stdout, notes on stderr."""
    from cli.common import StopFlag
    from cli.progress import ProgressBar
    from engine.build.import_job import ImportOptions, import_job

    options = ImportOptions(Path(args.out), partial=args.partial,
                            data={"source": args.data} if args.data else None)
    flag = StopFlag()
    with flag.installed():
        result = import_job(args.model, options, ProgressBar(header=f"note: importing {args.model}"), flag.control)
    print(table(result.rows))
    if result.opaque:
        kept = ", ".join(f"{cls} ({n})" for cls, n in sorted(result.opaque.items()))
        print(f"not mapped, kept as read-only Keras layer nodes: {kept}", file=sys.stderr)
    print(f"predictions: max difference {result.max_difference:.2g} on random samples "
          "(the imported weights in the rebuilt graph)", file=sys.stderr)
    print(f"wrote {result.project_path} and its run {result.run_folder}", file=sys.stderr)
    return 0


def table(rows) -> str:
    """The mapping table: one line per layer, notes after the block."""
    width = max([len(r.layer) for r in rows] + [5])
    cls = max([len(r.keras_class) for r in rows] + [11])
    lines = [f"{'layer':<{width}}  {'Keras class':<{cls}}  block"]
    for r in rows:
        notes = f"  ({'; '.join(r.notes)})" if r.notes else ""
        lines.append(f"{r.layer:<{width}}  {r.keras_class:<{cls}}  {r.block}{notes}")
    return "\n".join(lines)
