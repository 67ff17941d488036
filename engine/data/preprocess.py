"""The transform between the inputs a user has and the inputs a model was trained on.

Sprout feeds models scaled data (images in [0, 1], standardized tables). An exported
model must accept the raw inputs instead, so a dataset records its transform as one
affine map per feature, ``model_input = (raw - offset) * scale``, and the exporters fold
it into the model (a Keras ``Normalization`` layer) or write it into the model card and
the exported Python script.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Preprocessing:
    """``model_input = (raw - offset) * scale``, broadcast over the last axis.

    Attributes:
        offset: one value per feature of the last axis (or one value for all).
        scale: likewise.
        description: the transform in words, for the model card.
    """

    offset: tuple[float, ...]
    scale: tuple[float, ...]
    description: str

    def apply(self, raw: np.ndarray) -> np.ndarray:
        """Raw inputs -> what the model was trained on (float32)."""
        return ((np.asarray(raw, dtype="float64") - np.asarray(self.offset)) * np.asarray(self.scale)).astype("float32")

    def invert(self, x: np.ndarray) -> np.ndarray:
        """Model inputs -> the raw inputs they came from (float32)."""
        return (np.asarray(x, dtype="float64") / np.asarray(self.scale) + np.asarray(self.offset)).astype("float32")

    @property
    def mean(self) -> np.ndarray:
        """The ``mean`` of the equivalent Keras ``Normalization`` layer."""
        return np.asarray(self.offset, dtype="float64")

    @property
    def variance(self) -> np.ndarray:
        """The ``variance`` of the equivalent Keras ``Normalization`` layer (``1 / scale**2``)."""
        return 1.0 / np.square(np.asarray(self.scale, dtype="float64"))

    def to_dict(self) -> dict:
        """JSON-ready form (the model card, the export request)."""
        return {"offset": list(self.offset), "scale": list(self.scale), "description": self.description,
                "formula": "model_input = (raw - offset) * scale, per feature of the last axis"}

    @classmethod
    def from_dict(cls, d: dict | None) -> Preprocessing | None:
        """The inverse of :meth:`to_dict` (None stays None)."""
        if not d:
            return None
        return cls(tuple(float(v) for v in d["offset"]), tuple(float(v) for v in d["scale"]), str(d["description"]))


def divide_by(value: float, what: str) -> Preprocessing:
    """Every input divided by ``value`` (image pixels)."""
    return Preprocessing((0.0,), (1.0 / value,), f"{what} divided by {value:g}")


def standardize(x_train: np.ndarray, names: list[str] | None = None) -> Preprocessing:
    """Per-feature standardization with the training split's mean and standard deviation."""
    mean = x_train.reshape(-1, x_train.shape[-1]).mean(axis=0).astype("float64")
    std = x_train.reshape(-1, x_train.shape[-1]).std(axis=0).astype("float64")
    std[std == 0] = 1.0
    return Preprocessing(tuple(float(v) for v in mean), tuple(float(1.0 / v) for v in std),
                         "each feature standardized: minus the training split's mean, divided by its "
                         "standard deviation")
