"""``search-pba``: search a PBA augmentation schedule for a project's images (Ray Tune's PBT)."""
from __future__ import annotations

import sys

from cli.common import StopFlag
from cli.progress import ProgressBar

NEEDS_KERAS = False  # imported (quietly) by the search itself, after the settings and address are checked


def add_parser(subparsers):
    p = subparsers.add_parser("search-pba", help="search a PBA augmentation schedule with Population Based Training")
    p.add_argument("project")
    p.add_argument("--population", type=int, default=16, help="members trained side by side (the paper: 16)")
    p.add_argument("--epochs", type=int, default=10, help="epochs each member trains")
    p.add_argument("--interval", type=int, default=3, help="epochs between exploit/explore steps (the paper: 3)")
    p.add_argument("--seed", type=int, default=0, help="seed of the members and of the explore steps")
    p.add_argument("--ray", metavar="ADDRESS", default="local",
                   help="local (default: a private Ray on this machine), auto, or ray://HOST:PORT")
    p.add_argument("--out", required=True, help="folder for schedule.json, schedule.png and search.json")
    return p


def run(args) -> int:
    from engine.experiments.pba_search import SearchSettings, pba_search
    from engine.runs.writer import prepare_folder
    from engine.train.workflow import open_project

    project = open_project(args.project)
    settings = SearchSettings(args.population, args.epochs, args.interval, args.seed, args.ray).checked()
    out = prepare_folder(args.out)
    stop = StopFlag()
    bar = ProgressBar(header=f"PBA search on {args.project}: population {settings.population}, {settings.epochs} "
                             f"epoch(s), explore every {settings.interval} (Ctrl+C stops)")
    with stop.installed():
        result = pba_search(project, settings, out, bar, stop.control)
    print(f"best member {result.best_member}: {100 * result.best_accuracy:.2f}% validation accuracy; "
          f"{len(result.keyframes)} keyframe(s), {result.perturbations} exploit(s)")
    for k in result.keyframes:
        active = sum(1 for p in k["policy"][0::2] if p)
        print(f"  from epoch {k['epoch']}: {active} of 30 operation copies can fire")
    print(f"schedule: {out / 'schedule.json'} (set a PBA node's schedule_file to it); picture: "
          f"{out / 'schedule.png'}", file=sys.stderr)
    return 1 if result.stopped else 0
