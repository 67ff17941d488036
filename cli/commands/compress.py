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
    p.add_argument("--fit-budget", action="store_true",
                   help="search plans for the smallest model that fits the device budget within the tolerance, "
                        "then export it")
    p.add_argument("--device", default=None, help="a device preset (cortex-m4, esp32-s3, raspberry-pi, phone, "
                                                  "laptop) giving the flash and RAM limits")
    p.add_argument("--flash-kb", type=float, default=None, help="flash limit in KB (overrides the device's)")
    p.add_argument("--ram-kb", type=float, default=None, help="RAM limit in KB (overrides the device's)")
    p.add_argument("--tolerance", type=float, default=0.5, help="accuracy drop allowed, in points (default 0.5)")
    p.add_argument("--max-plans", type=int, default=None, help="try at most this many plans (default: all)")
    p.add_argument("--data", default=None, help="data to fine-tune and measure on (default: the run's own)")
    p.add_argument("--out", default=None, help="output folder (default: SOURCE/compressed for a run, "
                                               "MODEL_compressed beside a model file; with --fit-budget "
                                               "SOURCE/compressed/fit, MODEL_fit)")
    return p


def run(args) -> int:
    """Validate the plan against the model, run it under a progress bar, print the report table."""
    from cli.common import StopFlag
    from cli.progress import ProgressBar
    from engine.compress.job import compress_job
    from engine.compress.plan import load_plan
    from engine.reader import read_text

    source = Path(args.source)
    if args.fit_budget:
        return _fit(args, source)
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


def _fit(args, source: Path) -> int:
    """``--fit-budget``: the plans tried as a table, the winner exported for its device."""
    from cli.common import StopFlag
    from cli.progress import ProgressBar
    from engine.analysis.device import device_named
    from engine.compress.fit import Budget, fit_budget_job

    device = device_named(args.device) if args.device else None
    budget = Budget(args.flash_kb if args.flash_kb is not None else (device.flash_kb if device else 0.0),
                    args.ram_kb if args.ram_kb is not None else (device.ram_kb if device else 0.0),
                    args.tolerance, device.id if device else "custom").check()
    if args.max_plans is not None and args.max_plans < 1:
        print(f"error: Expected --max-plans >= 1. Received: --max-plans={args.max_plans}", file=sys.stderr)
        return 1
    out = Path(args.out) if args.out else (source / "compressed" / "fit" if source.is_dir()
                                           else source.with_name(f"{source.stem}_fit"))
    flag = StopFlag()
    with flag.installed():
        result = fit_budget_job(source, budget, out, ProgressBar(header=f"note: fitting {source} to "
                                                                        f"{budget.flash_kb:g} KB flash / "
                                                                        f"{budget.ram_kb:g} KB RAM"),
                                flag.control, data=args.data, max_plans=args.max_plans)
    print("| plan | flash KB | RAM KB | accuracy | drop (pt) | fits |")
    print("|---|---:|---:|---:|---:|---|")
    for a in result.attempts:
        acc = "-" if a.row.get("accuracy") is None else f"{100 * a.row['accuracy']:.2f}%"
        ram = "-" if a.arena_bytes is None else f"{a.arena_bytes / 1024:.1f}"
        print(f"| {a.label} | {(a.row.get('size_bytes') or 0) / 1024:.1f} | {ram} | {acc} "
              f"| {a.row.get('accuracy_drop_points') or 0:+.2f} | "
              f"{'yes' if a.fits and a.within_tolerance else ('over tolerance' if a.fits else 'no')} |")
    print(result.message)
    if result.winner is None:
        return 1
    _export_winner(result, out, args, device)
    return 0


def _export_winner(result, out: Path, args, device) -> None:
    """Export the winning step's model in the device's formats, with the run's data (int8 calibration)."""
    from engine.export.job import export_job
    from engine.export.options import ExportOptions
    from engine.export.source import device_options, resolve_source, step_source

    names, variants = device_options(device.formats if device else ("tflite:int8",))
    source = step_source(result.winner.row["model_file"], resolve_source(args.source, args.data))
    exported = export_job(source, ExportOptions(formats=names, quantize=variants), out / "export")
    for a in exported.artifacts:
        print(f"exported {a.path} ({a.size:,} bytes): {a.message}")
