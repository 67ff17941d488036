"""``lr-range``: the LR range test; a compact (lr, loss) table and suggested CLR bounds."""
from __future__ import annotations

import sys
from pathlib import Path

from cli.common import StopFlag
from cli.progress import ProgressBar
from engine.errors import SproutError
from engine.model.project import ProjectSnapshot, dumps
from engine.train.lr_range import RangeOptions, check_arguments, lr_range_job
from engine.train.workflow import open_project, plan_run

NEEDS_KERAS = True


def add_parser(subparsers):
    """Register ``lr-range PROJECT`` with the sweep's bounds, length and shape."""
    p = subparsers.add_parser("lr-range",
                              help="LR range test: loss while the learning rate grows; suggests CLR bounds")
    p.add_argument("project")
    p.add_argument("--min-lr", type=float, default=1e-5)
    p.add_argument("--max-lr", type=float, default=1.0)
    p.add_argument("--steps", type=int, default=200, help="iterations (batches) over which the rate grows")
    p.add_argument("--mode", choices=("linear", "exponential"), default="linear")
    p.add_argument("--out", help="CSV file for every iteration (iteration, lr, loss, smoothed_loss)")
    p.add_argument("--data", help="embedded dataset name or a path (image folder, .csv, .npz)")
    p.add_argument("--seed", type=int)
    p.add_argument("--batch-size", type=int)
    return p


def run(args) -> int:
    """Run the sweep; the table and suggestion go to stdout, every point to ``--out``."""
    check_arguments(args.min_lr, args.max_lr, args.steps, args.mode)  # before any slow work
    out = Path(args.out) if args.out else None
    if out and (out.suffix.lower() != ".csv" or not out.parent.is_dir()):
        raise SproutError(f"--out {out} must be a .csv file in an existing folder")
    project = open_project(args.project)
    cfg = plan_run(project, seed=args.seed, batch_size=args.batch_size).train_config
    options = RangeOptions(args.min_lr, args.max_lr, args.steps, args.mode, args.data, args.seed, args.batch_size)
    header = (f"LR range test on {args.project}: {args.steps} iterations, {args.mode} from {args.min_lr:g} to "
              f"{args.max_lr:g}, {cfg.optimizer}, batch size {cfg.batch_size}")
    stop = StopFlag()
    with stop.installed():
        job = lr_range_job(ProjectSnapshot(dumps(project), project.path), options, ProgressBar(header=header),
                           stop.control)
    result = job.result
    print(f"{'iteration':>9} {'lr':>12} {'loss':>10} {'smoothed':>10}")
    for p in result.compact(20):
        print(f"{p.iteration:>9} {p.lr:>12.6g} {p.loss:>10.4f} {p.smoothed:>10.4f}")
    print(f"{result.stop_reason} after {len(result.points)} iterations")
    if result.base_lr is not None:
        per_epoch = max(1, -(-job.train_samples // cfg.batch_size))
        print(f"suggested: base_lr={result.base_lr:.3g} max_lr={result.max_lr:.3g} (paper.cyclic_lr; half cycle "
              f"2-10 epochs = {2 * per_epoch}-{10 * per_epoch} iterations at batch size {cfg.batch_size})")
    else:
        print("suggested: none")
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    if out:
        try:
            result.write_csv(out)
        except OSError as exc:
            raise SproutError(f"cannot write {out}: {exc.strerror or exc}") from exc
        print(f"wrote {len(result.points)} points to {out}", file=sys.stderr)
    return 0
