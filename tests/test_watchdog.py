"""The hang watchdog: a test still running after the limit ends the session with its name last."""
from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import ROOT

HANGING = '''
import threading
import time

def test_fine():
    pass

def test_waits_forever():
    threading.Event().wait()
'''


def test_a_hanging_test_is_named_in_the_last_lines(tmp_path):
    folder = ROOT / "tests" / f"_hang_{os.getpid()}"  # inside tests/: the project's conftest arms the watchdog
    folder.mkdir()
    try:
        (folder / "__init__.py").write_text("")
        (folder / "test_hang.py").write_text(HANGING)
        done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(folder)],
                              capture_output=True, text=True, timeout=120, cwd=ROOT,
                              env={**os.environ, "SPROUT_TEST_HANG_SECONDS": "2"})
    finally:
        for f in sorted(folder.rglob("*"), reverse=True):
            f.unlink() if f.is_file() else f.rmdir()
        folder.rmdir()
    assert done.returncode == 70, (done.returncode, done.stdout[-2000:], done.stderr[-2000:])
    last = done.stderr.strip().splitlines()
    assert last[0].startswith("SPROUT TEST HANG: ") and "test_hang.py::test_waits_forever" in last[0], last
    assert any("MainThread" in line and "test_hang.py" in line and "test_waits_forever" in line for line in last)
