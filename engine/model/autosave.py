"""Autosave side files and crash recovery (no Qt; the GUI schedules the calls)."""
from __future__ import annotations

from pathlib import Path

from engine.model.project import Project, dumps, write_atomic

SUFFIX = ".autosave"


def autosave_path(project_path: Path | None, fallback_dir: Path) -> Path:
    """``model.sprout`` -> ``model.sprout.autosave`` beside it; untitled -> in ``fallback_dir``."""
    if project_path is not None:
        project_path = Path(project_path)
        return project_path.with_name(project_path.name + SUFFIX)
    return Path(fallback_dir) / ("untitled.sprout" + SUFFIX)


def write_autosave(project: Project, path: Path) -> Path:
    """Write the project to its side file without changing where the project lives."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, dumps(project))
    return path


def find_recovery(project_path: Path | None, fallback_dir: Path) -> Path | None:
    """The side file worth offering: it exists and is newer than the project file."""
    side = autosave_path(project_path, fallback_dir)
    if not side.is_file():
        return None
    if project_path is not None and Path(project_path).is_file():
        if side.stat().st_mtime < Path(project_path).stat().st_mtime:
            return None
    return side


def discard(project_path: Path | None, fallback_dir: Path) -> None:
    """Remove the side file after a clean save or close."""
    side = autosave_path(project_path, fallback_dir)
    try:
        side.unlink()
    except FileNotFoundError:
        pass
