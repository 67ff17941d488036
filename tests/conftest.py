"""Shared fixtures. Tests run offscreen and quietly; TensorFlow is imported lazily."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.watchdog import Watchdog

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "resources" / "examples"
WATCHDOG = Watchdog()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    """Each test (setup, call, teardown) runs under the hang watchdog (tests/watchdog.py)."""
    WATCHDOG.arm(item.nodeid, item.config.pluginmanager.getplugin("capturemanager"))
    try:
        yield
    finally:
        WATCHDOG.disarm()


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


@pytest.fixture(scope="session")
def export_of(example_run):
    """``export_of(name)``: (run folder, ExportResult) of an example: every format, every TFLite variant.

    The runs are the session's trained examples (tests/conftest.py), shared with the
    techniques' accuracy tests; each export is made once and shared by every client test.
    Exports are pipelined: while one runs in its converter process (a background thread
    waits for it), the next example trains here, so the two cores stay busy.
    """
    from concurrent.futures import ThreadPoolExecutor

    from engine.export.formats import VARIANTS, formats
    from engine.export.job import export_job
    from engine.export.options import ExportOptions
    from engine.export.source import run_source

    order = example_names()
    options = ExportOptions(formats=tuple(formats()), quantize=VARIANTS)
    futures = {}
    pool = ThreadPoolExecutor(2)

    def start(stem: str) -> None:
        if stem not in futures:
            folder = example_run(stem)
            futures[stem] = pool.submit(lambda: (folder, export_job(run_source(folder), options, folder / "export")))

    def get(stem: str):
        start(stem)
        following = order[order.index(stem) + 1:order.index(stem) + 2] if stem in order else []
        for other in following:
            start(other)
        return futures[stem].result()
    yield get
    pool.shutdown(wait=True)


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
