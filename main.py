"""Sprout: `python main.py` opens the studio; `python main.py COMMAND ...` runs the CLI."""
from __future__ import annotations

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TensorFlow's C++ chatter off the terminal
os.environ.setdefault("KERAS_BACKEND", "tensorflow")


def main(argv: list[str] | None = None) -> int:
    """Dispatch: no arguments (or a project path) -> GUI, a sub-command -> CLI."""
    argv = sys.argv[1:] if argv is None else argv
    from cli.app import COMMANDS, run_cli

    if argv and (argv[0] in COMMANDS or argv[0].startswith("-")):
        return run_cli(argv)
    return run_cli(["gui", *argv])


if __name__ == "__main__":
    sys.exit(main())
