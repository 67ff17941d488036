"""``demo``: train the example CNN on the embedded digits and print its test accuracy.

``main.py`` also runs it when the studio cannot open (no display).
"""
from __future__ import annotations

import sys
import tempfile

from cli.common import EXAMPLES, report_result
from cli.progress import ProgressBar
from engine.runs.writer import write_training_files
from engine.train.workflow import open_project, plan_run, run_training

NEEDS_KERAS = True
PROJECT = EXAMPLES / "digits_cnn.sprout"


def add_parser(subparsers):
    """Register ``demo [--epochs N] [--out FOLDER]``."""
    p = subparsers.add_parser("demo", help="train the example CNN on digits and print the test accuracy")
    p.add_argument("--epochs", type=int)
    p.add_argument("--out", help="folder to keep the trained model in")
    return p


def run(args) -> int:
    """Train digits_cnn, save the run (to a temporary folder without ``--out``), print the accuracy."""
    project = open_project(PROJECT)
    plan = plan_run(project, epochs=args.epochs)
    out = args.out or tempfile.mkdtemp(prefix="sprout-demo-")
    print(f"demo: training digits_cnn on the embedded digits dataset ({plan.train_config.epochs} epochs)",
          file=sys.stderr)
    compiled, dataset, result = run_training(plan, ProgressBar())
    write_training_files(out, compiled.model, result, plan.train_config, dataset)
    report_result(result, out)
    acc = result.metrics.get("test", {}).get("accuracy")
    print(f"test accuracy: {acc:.4f}" if acc is not None else "test accuracy: n/a")
    return 0
