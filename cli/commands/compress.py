"""``compress``: run a compression plan on a trained run or model file, every step measured.

Steps in order (distill, factorize, prune, quantize), each saved as it finishes; then
each step's TFLite is made and run in the LiteRT interpreter on the test split, and a
table of sizes, accuracy and latency against the original is printed and written
(``report.json``, ``report.md``) in the output folder.
"""
from __future__ import annotations

import sys
from pathlib import Path

NEEDS_KERAS = True


def add_parser(subparsers):
    """Register ``compress SOURCE --plan PLAN.json [--data NAME] [--out DIR]``."""
    p = subparsers.add_parser("compress", help="prune, quantize, distill and factorize a trained model, "
                                               "measured in the LiteRT interpreter")
    p.add_argument("source", help="a run folder (trained) or a .keras/.h5 model file")
    p.add_argument("--plan", default=None,
                   help='a JSON plan: {"steps": [{"method": "prune", "sparsity": 0.8, "fine_tune_epochs": 3}, '
                        '{"method": "quantize", "mode": "int8"}]} (default: the plan saved in the run\'s project, '
                        'its "compression" section)')
    p.add_argument("--data", default=None, help="data to fine-tune and measure on (default: the run's own)")
    p.add_argument("--out", default=None, help="output folder (default: SOURCE/compressed for a run, "
                                               "MODEL_compressed beside a model file)")
    return p


def run(args) -> int:
    """Validate the plan against the model, run it under a progress bar, print the report table."""
    from cli.common import StopFlag
    from cli.progress import ProgressBar
    from engine.compress.job import compress_job
    from engine.compress.plan import load_plan
    from engine.reader import read_text

    source = Path(args.source)
    if args.plan:
        plan = load_plan(read_text(Path(args.plan), 1 << 20, "plan file"), source=str(args.plan))
    else:
        plan = _saved_plan(source)
    out = Path(args.out) if args.out else (source / "compressed" if source.is_dir()
                                           else source.with_name(f"{source.stem}_compressed"))
    if out.exists() and not out.is_dir():
        from engine.errors import CompressionError

        raise CompressionError(f"{out}: is a file, not a folder; choose a folder for the compressed models")
    flag = StopFlag()
    with flag.installed():
        result = compress_job(source, plan, out, ProgressBar(header=f"note: compressing {source} into {out}"),
                              flag.control, data=args.data)
    print((out / "report.md").read_text(encoding="utf-8"))
    failed = [r for r in result.report["steps"] if r["error"]] + \
        ([result.report["baseline"]] if result.report["baseline"]["error"] else [])
    for r in failed:
        print(f"error: {r['method']}: {r['error']}", file=sys.stderr)
    if result.stopped:
        print("stopped: the finished steps were kept and measured", file=sys.stderr)
    return 1 if failed else 0


def _saved_plan(source: Path):
    """The plan in the ``compression`` section of a run's project (its graph.sprout)."""
    from engine.compress.plan import project_plan
    from engine.errors import CompressionError
    from engine.export.source import resolve_source

    project = resolve_source(source).project()
    plan = project_plan(project) if project is not None else None
    if plan is None:
        raise CompressionError(f"{source}: no plan given (--plan PLAN.json) and its project saves none "
                               "(a \"compression\" section)")
    return plan
