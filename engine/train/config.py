"""Training hyper-parameters (the project's ``training`` section) and the optimizer they name."""
from __future__ import annotations

from dataclasses import dataclass

from engine.errors import TrainingError

OPTIMIZERS = ("adam", "adamw", "sgd", "rmsprop")


@dataclass(frozen=True)
class TrainConfig:
    """Hyper-parameters: the project's ``training`` section."""

    epochs: int = 10
    batch_size: int = 32
    optimizer: str = "adam"
    learning_rate: float = 1e-3
    seed: int = 0
    early_stopping: int = 0  # patience in epochs; 0 = off

    @classmethod
    def from_dict(cls, d: dict, **overrides) -> TrainConfig:
        """Validate a ``training`` section (plus CLI overrides); TrainingError names the key."""
        merged = {**{k: v for k, v in d.items() if k in cls.__dataclass_fields__},
                  **{k: v for k, v in overrides.items() if v is not None}}
        cfg = cls(**merged)
        checks = {
            "epochs": (int, 1, 100_000), "batch_size": (int, 1, 1 << 20), "seed": (int, 0, 2**31 - 1),
            "early_stopping": (int, 0, 10_000), "learning_rate": (float, 1e-12, 100.0),
        }
        for key, (typ, lo, hi) in checks.items():
            v = getattr(cfg, key)
            ok = not isinstance(v, bool) and isinstance(v, (int, float)) and (typ is float or float(v).is_integer())
            if not ok or not lo <= v <= hi:
                raise TrainingError(f"Expected {lo} <= training.{key} <= {hi}. Received: {key}={v!r}")
        if cfg.optimizer not in OPTIMIZERS:
            raise TrainingError(f"Expected training.optimizer in {list(OPTIMIZERS)}. Received: optimizer={cfg.optimizer!r}")
        return cfg


def make_optimizer(config: TrainConfig, learning_rate=None):
    """The Keras optimizer named in ``config`` (``learning_rate`` may be a schedule)."""
    import keras

    cls = {"adam": keras.optimizers.Adam, "adamw": keras.optimizers.AdamW,
           "sgd": keras.optimizers.SGD, "rmsprop": keras.optimizers.RMSprop}[config.optimizer]
    return cls(learning_rate=config.learning_rate if learning_rate is None else learning_rate)
