"""``ablate``: train every variant of a project over seeds and compare them."""
from __future__ import annotations

import sys

from cli.common import StopFlag
from cli.progress import ProgressBar

NEEDS_KERAS = False  # the parent only plans and tabulates; the runs import TensorFlow in their workers


def add_parser(subparsers):
    p = subparsers.add_parser("ablate", help="train variants of a project over seeds and compare them")
    p.add_argument("project")
    p.add_argument("--vary", action="append", default=[], metavar="SPEC",
                   help="param:NODE.PARAM=V1,V2,... | swap:BLOCK_ID=OTHER_ID | toggle:NODE (several: a grid)")
    p.add_argument("--seeds", type=int, default=None, help="seeds per variant (default: the saved experiment's, or 3)")
    p.add_argument("--epochs", type=int, default=None, help="epochs per run (default: the saved experiment's, or 5)")
    p.add_argument("--workers", type=int, help="processes (default: one per core that memory allows)")
    p.add_argument("--ray", metavar="ADDRESS", help="run on Ray: ray://HOST:PORT, auto, or local")
    p.add_argument("--out", required=True, help="folder for results.csv, summary.md and the runs")
    return p


def run(args) -> int:
    from engine.experiments.job import ablation_job
    from engine.experiments.plan import Experiment, saved_experiment
    from engine.experiments.results import table_text
    from engine.experiments.spec import SpecError
    from engine.runs.writer import prepare_folder
    from engine.train.workflow import open_project

    project = open_project(args.project)
    saved = saved_experiment(project)
    vary = tuple(args.vary) or (saved.vary if saved else ())
    if not vary:
        raise SpecError("nothing to vary: give --vary SPEC (or save an experiment in the project)")
    experiment = Experiment(vary, args.seeds or (saved.seeds if saved else 3),
                            args.epochs or (saved.epochs if saved else 5)).checked()
    out = prepare_folder(args.out)
    stop = StopFlag()
    bar = ProgressBar(header=f"ablation of {args.project}: {len(vary)} factor(s) x {experiment.seeds} seed(s), "
                             f"{experiment.epochs} epoch(s) a run (Ctrl+C stops; finished runs are kept)")
    with stop.installed():
        result = ablation_job(project, experiment, out, bar, stop.control, args.workers, args.ray)
    print(table_text(result.summaries))
    done = f"{result.trained} trained, {result.resumed} kept from before" if result.resumed else f"{result.trained} trained"
    print(f"{done}; results in {out / 'results.csv'} and {out / 'summary.md'}", file=sys.stderr)
    return 1 if result.stopped else 0
