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


@pytest.fixture(scope="session")
def example_run(tmp_path_factory):
    """``example_run(name)``: the run folder of an example trained with its own settings.

    Each example trains once per session, through the training job the studio uses (run
    record, snapshot, models), and every test that needs a trained example shares it: the
    techniques' accuracy comparison and the export of every example to every format.
    """
    import json

    from engine.model.project import ProjectSnapshot
    from engine.runs.job import RunOptions, training_job

    base = tmp_path_factory.mktemp("example_runs")
    folders: dict[str, Path] = {}

    def get(name: str) -> Path:
        if name not in folders:
            data = json.loads((EXAMPLES / f"{name}.sprout").read_text(encoding="utf-8"))
            data["runs"] = []
            folder = base / f"{name}.runs" / "r1"
            folder.mkdir(parents=True)
            outcome = training_job(ProjectSnapshot(json.dumps(data), base / f"{name}.sprout"),
                                   RunOptions("r1", folder, "r1"))
            assert outcome.result.stop_reason == "completed", (name, outcome.result.message)
            folders[name] = folder
        return folders[name]
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
