"""Shared fixtures. Tests run offscreen and quietly; TensorFlow is imported lazily."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "resources" / "examples"


@pytest.fixture(scope="session")
def registry():
    from blocks import default_registry
    return default_registry()


@pytest.fixture
def example_path():
    def get(name: str) -> Path:
        return EXAMPLES / f"{name}.sprout"
    return get


def example_names() -> list[str]:
    """Every shipped example project, by stem."""
    return sorted(p.stem for p in EXAMPLES.glob("*.sprout"))


class Polled:
    """A job control whose ``should_stop`` is a test's own function (for stop-timing tests)."""

    def __init__(self, should_stop):
        self.should_stop = should_stop


def train_into(folder, compiled, dataset, config, **kwargs):
    """``train`` and then write its run files into ``folder``, as the training job does."""
    from engine.runs.writer import write_training_files
    from engine.train.trainer import train

    result = train(compiled, dataset, config, **kwargs)
    write_training_files(folder, compiled.model, result, config, dataset)
    return result
