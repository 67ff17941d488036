"""Starting the studio: display detection, the window opens without TensorFlow."""
from __future__ import annotations

import subprocess
import sys

from gui.app import has_display
from tests.conftest import ROOT


def test_display_detection(monkeypatch):
    for var in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(var, raising=False)
    if sys.platform.startswith("linux"):
        assert not has_display()
    monkeypatch.setenv("DISPLAY", ":99")
    assert has_display()


def test_no_display_falls_back_to_the_demo_message(monkeypatch, capsys):
    """`python main.py` on a headless machine says so in one line (the demo itself is tested elsewhere)."""
    from cli import commands

    for var in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(var, raising=False)
    ran = []
    monkeypatch.setattr(commands, "cmd_demo", lambda args: ran.append(args) or 0)
    monkeypatch.setattr("engine.build.backend.import_keras_quietly", lambda: None)
    from main import main
    assert main([]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(ran) == 1 and err == ["No display found (DISPLAY is not set): running `python main.py demo` instead."]


def test_window_shows_without_importing_tensorflow():
    out = subprocess.run([sys.executable, "-m", "tests.bench.gui_startup"], cwd=ROOT, capture_output=True, text=True,
                         check=True, env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin",
                                          "HOME": str(ROOT / "tests" / "artifacts")})
    seconds, heavy = out.stdout.split()
    assert heavy == "-"  # neither tensorflow nor keras was imported to show the window
