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
    # Execution: "auto" = measured by a short calibration (cached per graph), else fixed.
    steps_per_execution: int | str = "auto"  # batches per call into the graph: "auto" or 1..1024
    jit_compile: bool | str = "auto"  # XLA: "auto", True or False

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
            # A huge int is compared as an int: float(v) would overflow before the range check.
            whole = isinstance(v, int) or (isinstance(v, float) and v.is_integer())
            ok = not isinstance(v, bool) and isinstance(v, (int, float)) and (typ is float or whole)
            if not ok or not lo <= v <= hi:
                raise TrainingError(f"Expected {lo} <= training.{key} <= {hi}. Received: {key}={short_repr(v)}")
        spe = cfg.steps_per_execution
        if spe != "auto" and (isinstance(spe, bool) or not isinstance(spe, int) or not 1 <= spe <= 1024):
            raise TrainingError("Expected training.steps_per_execution to be \"auto\" or an integer 1..1024. "
                                f"Received: steps_per_execution={short_repr(spe)}")
        if cfg.jit_compile != "auto" and not isinstance(cfg.jit_compile, bool):
            raise TrainingError("Expected training.jit_compile to be \"auto\", true or false. "
                                f"Received: jit_compile={short_repr(cfg.jit_compile)}")
        if cfg.optimizer not in OPTIMIZERS:
            raise TrainingError(f"Expected training.optimizer in {list(OPTIMIZERS)}. Received: optimizer={short_repr(cfg.optimizer)}")
        return cfg


def short_repr(value, limit: int = 40) -> str:
    """``repr(value)``, cut to ``limit`` characters (a 400-digit number stays one readable line)."""
    text = repr(value)
    if len(text) <= limit:
        return text
    digits = f", {len(text)} digits" if isinstance(value, int) else f", {len(text)} characters"
    return f"{text[:limit - 10]}...({digits[2:]})"


def make_optimizer(config: TrainConfig, learning_rate=None):
    """The Keras optimizer named in ``config`` (``learning_rate`` may be a schedule)."""
    import keras

    cls = {"adam": keras.optimizers.Adam, "adamw": keras.optimizers.AdamW,
           "sgd": keras.optimizers.SGD, "rmsprop": keras.optimizers.RMSprop}[config.optimizer]
    return cls(learning_rate=config.learning_rate if learning_rate is None else learning_rate)
