"""``make run`` on a machine missing one of Qt's xcb libraries: one line with the apt-get command, exit 1.

The missing library is simulated for real: a stand-in plugin is linked against a library
that is then deleted, so the dynamic linker reports it "not found" exactly as on a fresh
machine; Qt is pointed at the stand-in with its own ``QT_PLUGIN_PATH``.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from gui.system_libs import debian_package, missing_libraries

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def plugin_missing_keysyms(tmp_path):
    cc = shutil.which("gcc") or shutil.which("cc")
    if cc is None or shutil.which("ldd") is None:
        pytest.skip("needs a C compiler and ldd")
    lib_dir = tmp_path / "lib"
    lib_dir.mkdir()
    (tmp_path / "k.c").write_text("int xcb_key_symbols_alloc(void) { return 0; }\n")
    subprocess.run([cc, "-shared", "-fPIC", "-o", str(lib_dir / "libxcb-keysyms.so.1"), str(tmp_path / "k.c"),
                    "-Wl,-soname,libxcb-keysyms.so.1"], check=True)
    (tmp_path / "p.c").write_text("int xcb_key_symbols_alloc(void);\nint plugin(void) { return xcb_key_symbols_alloc(); }\n")
    platforms = tmp_path / "plugins" / "platforms"
    platforms.mkdir(parents=True)
    subprocess.run([cc, "-shared", "-fPIC", "-o", str(platforms / "libqxcb.so"), str(tmp_path / "p.c"),
                    f"-L{lib_dir}", "-l:libxcb-keysyms.so.1"], check=True)
    (lib_dir / "libxcb-keysyms.so.1").unlink()  # now the linker cannot find it
    return tmp_path / "plugins"


def test_debian_package_names():
    assert debian_package("libxcb-icccm.so.4") == "libxcb-icccm4"
    assert debian_package("libxcb-cursor.so.0") == "libxcb-cursor0"
    assert debian_package("libxkbcommon-x11.so.0") == "libxkbcommon-x11-0"
    assert debian_package("libX11-xcb.so.1") == "libx11-xcb1"


def test_ldd_reports_the_deleted_library(plugin_missing_keysyms):
    assert "libxcb-keysyms.so.1" in missing_libraries(plugin_missing_keysyms / "platforms" / "libqxcb.so")


def test_make_run_prints_the_install_line_and_exits_1(plugin_missing_keysyms):
    env = {k: v for k, v in os.environ.items() if k != "QT_QPA_PLATFORM"}
    env.update(DISPLAY=":99", QT_PLUGIN_PATH=str(plugin_missing_keysyms), PY=sys.executable)
    # STAMP= : run without the install prerequisite (the suite runs inside the installed venv)
    done = subprocess.run(["make", "-s", "run", "STAMP=", f"PY={sys.executable}"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    lines = [ln for ln in done.stderr.splitlines() if ln.strip() and not ln.startswith("make")]
    assert len(lines) == 1, done.stderr
    assert "libxcb-keysyms.so.1" in lines[0] and "sudo apt-get install libxcb-keysyms1" in lines[0]
    assert "Traceback" not in done.stderr
