"""Before Qt starts on X11: are the system libraries its xcb platform plugin needs installed?

Qt's own failure is an abort whose message names one library (the first it missed), and a
fresh Debian machine usually misses several (``libxcb-cursor0``, ``libxcb-icccm4``,
``libxcb-keysyms1``). This asks the dynamic linker (``ldd`` on the plugin) for every
library it cannot find and turns them into the one ``apt-get install`` line that fixes
them all. It imports no Qt (the check must run before Qt would abort).
"""
from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
from pathlib import Path

PLUGIN = Path("platforms") / "libqxcb.so"


def xcb_plugin() -> Path | None:
    """The xcb platform plugin Qt would load: from ``QT_PLUGIN_PATH`` first, then PySide6's own."""
    dirs = [Path(p) for p in os.environ.get("QT_PLUGIN_PATH", "").split(os.pathsep) if p]
    spec = importlib.util.find_spec("PySide6")
    if spec is not None and spec.submodule_search_locations:
        dirs.append(Path(next(iter(spec.submodule_search_locations))) / "Qt" / "plugins")
    return next((d / PLUGIN for d in dirs if (d / PLUGIN).is_file()), None)


def missing_libraries(plugin: Path) -> list[str]:
    """Shared libraries ``plugin`` needs that the dynamic linker cannot find (``ldd``'s "not found")."""
    ldd = shutil.which("ldd")
    if ldd is None:
        return []
    try:
        out = subprocess.run([ldd, str(plugin)], capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    found = re.findall(r"^\s*(\S+)\s+=>\s+not found", out, flags=re.MULTILINE)
    return list(dict.fromkeys(found))


def debian_package(soname: str) -> str:
    """Debian's package name for a library: ``libxcb-icccm.so.4`` -> ``libxcb-icccm4``."""
    match = re.match(r"^(.+?)\.so\.(\d+)", soname)
    if not match:
        return soname
    name, major = match.group(1).lower(), match.group(2)
    return f"{name}-{major}" if name[-1].isdigit() else f"{name}{major}"


def xcb_problem() -> str | None:
    """One line with the install command when Qt's xcb plugin would fail to load, else None.

    Only asked when Qt would use xcb: a display is set and ``QT_QPA_PLATFORM`` is unset
    or names xcb.
    """
    platform = os.environ.get("QT_QPA_PLATFORM", "")
    if not os.environ.get("DISPLAY") or (platform and not platform.startswith("xcb")):
        return None
    plugin = xcb_plugin()
    if plugin is None:
        return None
    missing = missing_libraries(plugin)
    if not missing:
        return None
    packages = " ".join(dict.fromkeys(debian_package(m) for m in missing))
    return (f"the studio cannot start: Qt's X11 plugin needs {', '.join(missing)}, not installed; "
            f"install with: sudo apt-get install {packages}")
