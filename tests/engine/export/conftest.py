"""Fixtures of the export tests: every example's export, made once per session and shared."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from engine.export.formats import VARIANTS, formats
from engine.export.job import export_job
from engine.export.options import ExportOptions
from engine.export.source import run_source

EXAMPLES = sorted((Path(__file__).resolve().parents[3] / "resources" / "examples").glob("*.sprout"))


@pytest.fixture(scope="session")
def export_of(example_run):
    """``export_of(name)``: (run folder, ExportResult) of an example: every format, every TFLite variant.

    The runs are the session's trained examples (tests/conftest.py), shared with the
    techniques' accuracy tests; each export is made once and shared by every client test.
    Exports are pipelined: while one runs in its converter process (a background thread
    waits for it), the next example trains here, so the two cores stay busy.
    """
    order = [p.stem for p in EXAMPLES]
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
