"""Sprout's composition root: ``python main.py`` opens the studio, ``python main.py COMMAND`` runs the CLI.

Routing by the first argument:

- a sub-command of :mod:`cli.commands` (or ``-h``/``--help``) -> :func:`cli.app.run_cli`;
- nothing, or an existing ``.sprout`` file -> the studio (:func:`gui.app.run_gui`), or,
  without a display, one line saying so and the CLI's ``demo``;
- anything else is a usage error: one line on stderr naming the word and listing the
  commands, exit 1 (a mistyped command must not quietly open or train something).

This is the only module that knows both ``cli`` and ``gui``; they never import each other.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # keep TensorFlow's C++ chatter off the terminal
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

HELP_FLAGS = ("-h", "--help")
NO_DISPLAY = "No display found (DISPLAY is not set): running `python main.py demo` instead."


def main(argv: list[str] | None = None) -> int:
    """Route the arguments to the CLI or the studio.

    Args:
        argv: the arguments after ``main.py``; ``sys.argv[1:]`` when None.

    Returns:
        The process exit code.
    """
    argv = sys.argv[1:] if argv is None else argv
    from cli.app import COMMANDS, run_cli

    if argv and (argv[0] in COMMANDS or argv[0] in HELP_FLAGS):
        return run_cli(argv)
    problem = _studio_arguments_problem(argv)
    if problem:
        print(f"error: main.py: {problem}; commands: {', '.join(COMMANDS)} "
              "(or a .sprout project to open; main.py --help for more)", file=sys.stderr)
        return 1
    return _studio(argv[0] if argv else None, run_cli)


def _studio_arguments_problem(argv: list[str]) -> str | None:
    """Why ``argv`` cannot open the studio (None when it can): at most one existing .sprout file."""
    if not argv:
        return None
    word = argv[0]
    if Path(word).suffix.lower() != ".sprout":
        return f"unknown {'option' if word.startswith('-') else 'command'} {word!r}"
    if not Path(word).is_file():
        return f"no such project file {word!r}"
    if len(argv) > 1:
        return f"unexpected argument {argv[1]!r} after the project {word!r}"
    return None


def _studio(project: str | None, run_cli) -> int:
    """Open the studio on ``project``; with no display, say so in one line and run the demo."""
    from gui.app import has_display, run_gui

    if not has_display():
        print(NO_DISPLAY, file=sys.stderr)
        return run_cli(["demo"])
    from gui.system_libs import xcb_problem

    problem = xcb_problem()  # before Qt: its own abort names only the first missing library
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 1
    return run_gui(project)


if __name__ == "__main__":
    sys.exit(main())
