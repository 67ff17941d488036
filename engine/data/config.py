"""The project's ``data`` section as a validated, frozen :class:`DataConfig`.

Kept apart from the loaders (and free of NumPy) because the project loader validates the
section on every open: a value the GUI or the trainer would choke on later (a text
fraction, a seed NumPy refuses, a huge integer) is refused there, in one line.
"""
from __future__ import annotations

from dataclasses import dataclass

from engine.errors import DataError

EMBEDDED = ("digits", "digits-seq", "iris", "wine", "breast-cancer")
MAX_SEED = 2**32 - 1  # NumPy's RandomState (scikit-learn's splits) takes 0 .. 2**32 - 1
MAX_SOURCE = 4096  # longer than any path a file system accepts


@dataclass(frozen=True)
class DataConfig:
    """How to load and split: the project's ``data`` section."""

    source: str = "digits"
    val_fraction: float = 0.15
    test_fraction: float = 0.15
    seed: int = 0
    label: str = "label"
    normalize: bool = True

    @classmethod
    def from_dict(cls, d: dict, seed: int | None = None) -> DataConfig:
        """Validate a project's ``data`` section.

        Args:
            d: the section as parsed from JSON; keys other tools added are ignored.
            seed: a seed that overrides ``d["seed"]`` (the CLI's ``--seed``).

        Returns:
            The config, with every value of the right type and in range.

        Raises:
            DataError: one line naming the bad key and the value found.
        """
        if not isinstance(d, dict):
            raise DataError(f"the data section must be a JSON object, found {_show(d)}")
        base = cls()
        src = d.get("source", base.source)
        if not isinstance(src, str) or not src.strip():
            raise DataError(f"data.source must be a dataset name or a path, found {_show(src)}")
        if "\0" in src or len(src) > MAX_SOURCE:
            raise DataError(f"data.source is not a usable path, found {_show(src)}")
        vals = {key: _fraction(d.get(key, getattr(base, key)), key) for key in ("val_fraction", "test_fraction")}
        if vals["val_fraction"] + vals["test_fraction"] >= 0.9:
            raise DataError("data.val_fraction + data.test_fraction must leave at least 10% for training")
        label = d.get("label", base.label)
        if not isinstance(label, str):
            raise DataError(f"data.label must be a column name, found {_show(label)}")
        normalize = d.get("normalize", base.normalize)
        if not isinstance(normalize, bool):
            raise DataError(f"data.normalize must be true or false, found {_show(normalize)}")
        s = _seed(d.get("seed", base.seed) if seed is None else seed)
        return cls(src, vals["val_fraction"], vals["test_fraction"], s, label, normalize)


def _fraction(v, key: str) -> float:
    # Compare before converting: float() of a huge integer raises OverflowError, while
    # Python compares ints and floats exactly, whatever their size.
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v < 0.9:
        raise DataError(f"Expected 0 <= data.{key} < 0.9. Received: {key}={_show(v)}")
    return float(v)


def _seed(s) -> int:
    if isinstance(s, bool) or not isinstance(s, int):
        raise DataError(f"data.seed must be a whole number, found {_show(s)}")
    if not 0 <= s <= MAX_SEED:
        raise DataError(f"data.seed must be between 0 and {MAX_SEED}, found {_show(s)}")
    return s


def _show(v) -> str:
    """A short repr: a 400-digit integer or a long list would bury the message."""
    if isinstance(v, int) and not isinstance(v, bool) and abs(v) >= 10**20:
        return f"an integer of about {int(abs(v).bit_length() * 0.30103) + 1} digits"
    text = repr(v)
    return text if len(text) <= 60 else text[:57] + "..."
