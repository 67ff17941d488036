"""Block categories as data: palette order and header colour, one row per category.

A block names its category by ``BlockSpec.category``; the palette, the CLI listing and the
canvas read the order and colour from here. A category missing from the table still
works: it sorts after the known ones (alphabetically) and gets :data:`DEFAULT_COLOR`.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Category:
    """One palette group.

    Attributes:
        name: the text blocks use in ``BlockSpec.category`` (shown as the group title).
        color: header colour of its blocks, ``#rrggbb``.
        order: position in the palette, smaller first.
    """

    name: str
    color: str
    order: int


DEFAULT_COLOR = "#8a8f98"  # grey, for a category nobody has described yet

CATEGORIES = (
    Category("Input / Output", "#5b8def", 0),
    Category("Core", "#3aa676", 1),
    Category("Convolution", "#e0913a", 2),
    Category("Pooling", "#c7a43a", 3),
    Category("Reshape", "#8a8f98", 4),
    Category("Regularization", "#b35fbf", 5),
    Category("Normalization", "#4aa3b8", 6),
    Category("Activation", "#d9534f", 7),
    Category("Merge", "#7a6ee0", 8),
    Category("Recurrent", "#2f8f9d", 9),
    Category("Paper techniques", "#2e7d32", 10),
)
_BY_NAME = {c.name: c for c in CATEGORIES}


def get(name: str) -> Category | None:
    """The category called ``name``, or None when the table does not list it."""
    return _BY_NAME.get(name)


def color(name: str) -> str:
    """The ``#rrggbb`` colour of category ``name`` (:data:`DEFAULT_COLOR` when unknown)."""
    found = _BY_NAME.get(name)
    return found.color if found else DEFAULT_COLOR


def sort_key(name: str) -> tuple:
    """Orders category names: listed ones by ``order``, then unknown ones alphabetically."""
    found = _BY_NAME.get(name)
    return (0, found.order, "") if found else (1, 0, name)
