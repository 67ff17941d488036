"""Argument parsing and dispatch; every user error becomes one line and exit code 1."""
from __future__ import annotations

import argparse
import sys

from engine.errors import SproutError

COMMANDS = ("check", "train", "lr-range", "export", "demo", "blocks", "gui")


class UsageError(SproutError):
    """Bad command-line arguments."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse would exit 2 with usage; we want one line, exit 1
        raise UsageError(f"{self.prog}: {message}")


def build_parser() -> argparse.ArgumentParser:
    """The ``main.py`` argument parser."""
    p = _Parser(prog="main.py", description="Sprout: prototype small neural networks.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    c = sub.add_parser("check", help="validate a project: shapes, parameters, MACs per node")
    c.add_argument("project")
    c.add_argument("--json", action="store_true", help="print the table as JSON")

    t = sub.add_parser("train", help="train a project's model and save it")
    t.add_argument("project")
    t.add_argument("--epochs", type=int)
    t.add_argument("--out", required=True, help="folder for model.keras, history.csv, summary.json")
    t.add_argument("--data", help="embedded dataset name or a path (image folder, .csv, .npz)")
    t.add_argument("--label", help="label column of a CSV (default: label)")
    t.add_argument("--seed", type=int)
    t.add_argument("--batch-size", type=int)

    r = sub.add_parser("lr-range", help="LR range test: loss while the learning rate grows; suggests CLR bounds")
    r.add_argument("project")
    r.add_argument("--min-lr", type=float, default=1e-5)
    r.add_argument("--max-lr", type=float, default=1.0)
    r.add_argument("--steps", type=int, default=200, help="iterations (batches) over which the rate grows")
    r.add_argument("--mode", choices=("linear", "exponential"), default="linear")
    r.add_argument("--out", help="CSV file for every iteration (iteration, lr, loss, smoothed_loss)")
    r.add_argument("--data", help="embedded dataset name or a path (image folder, .csv, .npz)")
    r.add_argument("--seed", type=int)
    r.add_argument("--batch-size", type=int)

    e = sub.add_parser("export", help="export a project or a trained model")
    e.add_argument("source", help="a .sprout project (exports untrained weights) or a .keras/.h5 model")
    e.add_argument("--format", required=True, choices=("keras", "h5"))
    e.add_argument("--out", required=True)

    d = sub.add_parser("demo", help="train the example CNN on digits and print the test accuracy")
    d.add_argument("--epochs", type=int)
    d.add_argument("--out", help="folder to keep the trained model in")

    b = sub.add_parser("blocks", help="list every block with its ports and parameters")
    b.add_argument("--json", action="store_true")

    g = sub.add_parser("gui", help="open the desktop studio (the default)")
    g.add_argument("project", nargs="?")
    return p


def run_cli(argv: list[str]) -> int:
    """Run one command; returns the process exit code."""
    from cli import commands

    try:
        args = build_parser().parse_args(argv)
        if args.command in ("train", "lr-range", "export", "demo"):
            from engine.build.backend import import_keras_quietly

            import_keras_quietly()
        return getattr(commands, f"cmd_{args.command.replace('-', '_')}")(args)
    except SproutError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
