"""Argument parsing and dispatch; every user error becomes one line and exit code 1.

The parser is built by walking :mod:`cli.commands`: each command module adds its own
sub-parser, so this file never changes when a command is added.
"""
from __future__ import annotations

import argparse
import sys

from cli import commands
from engine.errors import SproutError

COMMANDS = commands.names()


class UsageError(SproutError):
    """Bad command-line arguments."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse would exit 2 with usage; we want one line, exit 1
        raise UsageError(f"{self.prog}: {message}")


def build_parser() -> argparse.ArgumentParser:
    """The ``main.py`` argument parser, one sub-parser per module in :mod:`cli.commands`."""
    p = _Parser(prog="main.py", description="Sprout: prototype small neural networks. "
                "Without a command (or with a .sprout file) main.py opens the desktop studio.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for module in commands.modules().values():
        module.add_parser(sub)
    return p


def run_cli(argv: list[str]) -> int:
    """Run one command; returns the process exit code.

    Args:
        argv: the arguments after ``main.py`` (``["check", "p.sprout"]``).

    Returns:
        The command's exit code; 1 after a user error (printed as one ``error: ...`` line),
        130 after a second Ctrl+C, 0 after ``--help``.
    """
    try:
        args = build_parser().parse_args(argv)
        module = commands.load(args.command)
        if getattr(module, "NEEDS_KERAS", False):
            from engine.build.backend import import_keras_quietly

            import_keras_quietly()  # after parsing, so bad arguments fail without the slow import
        return module.run(args)
    except SproutError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except SystemExit as exc:  # --help: argparse prints, then exits; keep run_cli a function that returns
        return exc.code if isinstance(exc.code, int) else 0
