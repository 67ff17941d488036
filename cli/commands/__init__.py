"""The sub-commands: one module per command, found by walking this package.

Adding a command is adding one file. The file's name is the command's name with ``-``
spelled ``_`` (``lr_range.py`` is ``lr-range``); a trailing ``_`` lets a command share
its name with a Python keyword (``import_.py`` would be ``import``). Files starting with
``_`` are helpers, not commands. A command module exposes:

- ``add_parser(subparsers)``: registers its one sub-command (under that name) and its
  arguments on an ``argparse`` sub-parsers object, and returns the new parser;
- ``run(args) -> int``: does the work and returns the exit code; user errors are raised
  as :class:`engine.errors.SproutError` (``cli.app`` prints them as one line, exit 1);
- ``NEEDS_KERAS`` (optional, default False): import Keras quietly before ``run``, so
  TensorFlow's start-up banner never reaches the terminal.

Only the package's file names are read to list the commands, so ``main.py`` can route
its first argument without importing any command (nor the engine behind it).
"""
from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType


def command_name(module_name: str) -> str:
    """The sub-command a module file stands for: ``lr_range`` -> ``lr-range``."""
    return module_name.rstrip("_").replace("_", "-")


def _modules_by_name() -> dict[str, str]:
    found = {}
    for info in pkgutil.iter_modules(__path__):
        if not info.name.startswith("_"):
            found[command_name(info.name)] = info.name
    return dict(sorted(found.items()))


def names() -> tuple[str, ...]:
    """Every sub-command, in alphabetical order."""
    return tuple(_modules_by_name())


def load(name: str) -> ModuleType:
    """The module of sub-command ``name``.

    Args:
        name: a sub-command as typed (``lr-range``).

    Returns:
        The imported command module.

    Raises:
        KeyError: when no module stands for ``name``.
    """
    return importlib.import_module(f"{__name__}.{_modules_by_name()[name]}")


def modules() -> dict[str, ModuleType]:
    """Every sub-command's module, by command name, in alphabetical order."""
    return {name: load(name) for name in names()}
