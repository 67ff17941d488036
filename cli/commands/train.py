"""``train``: train a project's model and write its run files."""
from __future__ import annotations

import sys

from cli.common import StopFlag, report_result
from cli.progress import ProgressBar
from engine.runs.writer import prepare_folder, write_record, write_snapshot, write_training_files
from engine.train.workflow import open_project, plan_run, run_training

NEEDS_KERAS = True


def add_parser(subparsers):
    """Register ``train PROJECT --out FOLDER`` and its overrides of the project's settings."""
    p = subparsers.add_parser("train", help="train a project's model and save it")
    p.add_argument("project")
    p.add_argument("--epochs", type=int)
    p.add_argument("--out", required=True, help="folder for model.keras, history.csv, summary.json")
    p.add_argument("--data", help="embedded dataset name or a path (image folder, .csv, .npz)")
    p.add_argument("--label", help="label column of a CSV (default: label)")
    p.add_argument("--seed", type=int)
    p.add_argument("--batch-size", type=int)
    p.add_argument("--steps-per-execution", help='batches per graph call: "auto" (measured, cached) or 1..1024')
    p.add_argument("--jit", choices=("auto", "on", "off"), help="XLA: auto (measured), on or off")
    return p


def run(args) -> int:
    """Train, write model.keras, history.csv and summary.json; exit 1 when the run failed."""
    project = open_project(args.project)
    if args.label:
        project.data["label"] = args.label
    if getattr(args, "steps_per_execution", None) is not None:
        spe = args.steps_per_execution
        project.training["steps_per_execution"] = int(spe) if spe.strip().isdigit() else spe.strip()
    if getattr(args, "jit", None) is not None:
        project.training["jit_compile"] = {"on": True, "off": False}.get(args.jit, "auto")
    plan = plan_run(project, epochs=args.epochs, data=args.data, seed=args.seed, batch_size=args.batch_size)
    out = prepare_folder(args.out)  # a bad --out is reported before any training time is spent
    stop = StopFlag()
    print(f"training {args.project} for {plan.train_config.epochs} epochs on {plan.data_config.source} "
          "(Ctrl+C stops after the current execution block and keeps the weights)", file=sys.stderr)
    with stop.installed():
        compiled, dataset, result = run_training(plan, ProgressBar(), stop.control, _execution_cache(project, out))
    write_training_files(args.out, compiled.model, result, plan.train_config, dataset)
    _write_run_files(args.out, project, plan, result)
    report_result(result, args.out)
    return 0 if result.stop_reason in ("completed", "early_stopping", "stopped") else 1


def _execution_cache(project, out):
    """Where calibrated execution settings are cached: the project's runs folder (shared with
    the studio) when it exists, else the ``--out`` folder."""
    from pathlib import Path

    from engine.runs.store import runs_root
    from engine.train.calibrate import CACHE_FILE, ExecutionCache

    root = runs_root(project.path, Path(out)) if project.path else Path(out)
    return ExecutionCache((root if root.is_dir() else Path(out)) / CACHE_FILE)


def _write_run_files(out, project, plan, result) -> None:
    """``graph.sprout`` and ``run.json``, so ``--out`` is a run folder (``main.py export`` takes it)."""
    import json
    from dataclasses import asdict
    from pathlib import Path

    from engine.analysis.graph import analyze
    from engine.model.project import dumps
    from engine.runs.store import make_record

    data = json.loads(dumps(project))
    data["data"] = asdict(plan.data_config)  # with the command line's --data/--label/--seed
    data["training"] = {**data.get("training", {}), "epochs": plan.train_config.epochs}
    write_snapshot(Path(out), json.dumps(data))
    totals = analyze(project.document).totals()
    record = make_record(Path(out).name, str(out), result, totals.get("params", 0), totals.get("macs", 0),
                         asdict(plan.data_config), asdict(plan.train_config))
    write_record(Path(out), record)
