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
    from cli.commands import demo

    for var in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(var, raising=False)
    ran = []
    monkeypatch.setattr(demo, "run", lambda args: ran.append(args) or 0)
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


def test_tensorflow_warms_up_on_the_job_worker(qtbot, tmp_path):
    from gui.editing.editor import Editor
    from gui.main_window import MainWindow

    window = MainWindow(Editor(autosave_folder=tmp_path / "autosave"), warm_up=True)
    qtbot.addWidget(window)
    assert window._warmup is not None and window._warmup.running
    qtbot.waitUntil(lambda: not window._warmup.running, timeout=120_000)
    assert window.tf_ready and window.statusBar().currentMessage() == "TensorFlow ready"
    assert "keras" in sys.modules


def test_no_raw_threads_in_gui_outside_the_job_worker():
    """DESIGN.md section 1: gui/jobs is the only place in gui/ that may start a thread."""
    import ast

    offenders = []
    for path in sorted((ROOT / "gui").rglob("*.py")):
        if path.parent.name == "jobs":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([a.name for a in node.names] if isinstance(node, (ast.Import, ast.ImportFrom)) else [])
            module = node.module if isinstance(node, ast.ImportFrom) else ""
            if "threading" in names or module in ("threading", "concurrent.futures") or "QThread" in names:
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []
