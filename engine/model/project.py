"""The ``.sprout`` project file: versioned UTF-8 JSON, validated load, atomic save.

The file shape is a contract shared with other tools (DESIGN.md section 3). Loading is
data only: nothing in a file is ever evaluated.
"""
from __future__ import annotations

import json
import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from blocks.registry import Registry
from engine import atomic
from engine.errors import ProjectFileError, SproutError
from engine.model.document import GraphDocument
from engine.model.groups import parse_groups

FORMAT = "sprout"
VERSION = 1
MAX_BYTES = 64 * 1024 * 1024
KNOWN_KEYS = {"format", "version", "nodes", "links", "data", "training", "runs", "budget", "groups"}

# version -> function turning a dict of that version into the next version.
MIGRATIONS: dict[int, Callable[[dict], dict]] = {}


@dataclass
class Project:
    """A graph plus what a project stores beside it."""

    document: GraphDocument
    data: dict = field(default_factory=lambda: {"source": "digits"})
    training: dict = field(default_factory=dict)
    runs: list = field(default_factory=list)
    budget: dict = field(default_factory=dict)
    groups: list = field(default_factory=list)  # engine.model.groups.Group
    extra: dict = field(default_factory=dict)  # keys other tools added; kept on save
    path: Path | None = None


def to_dict(project: Project) -> dict:
    """The JSON-ready form of ``project``."""
    doc = project.document
    nodes = [{"id": n.uid, "block": n.block, "params": _jsonable(n.params),
              "position": [n.position[0], n.position[1]], "title": n.title}
             for n in doc.nodes.values()]
    links = [{"from": [lk.source, lk.source_port], "to": [lk.target, lk.target_port]} for lk in doc.links()]
    out = {"format": FORMAT, "version": VERSION, "nodes": nodes, "links": links,
           "data": project.data, "training": project.training, "runs": project.runs}
    if project.budget:
        out["budget"] = project.budget
    groups = [{**g.to_json(), "nodes": [u for u in g.nodes if u in doc.nodes]} for g in project.groups]
    if any(g["nodes"] for g in groups):
        out["groups"] = [g for g in groups if g["nodes"]]
    out.update({k: v for k, v in project.extra.items() if k not in out})
    return out


@dataclass(frozen=True)
class ProjectSnapshot:
    """A project frozen as its file text (plus where it lives): what a job receives.

    Jobs run on other threads and processes; they parse their own copy and never touch
    the live document.
    """

    text: str
    path: Path | None = None

    def load(self, registry: Registry, source: str = "snapshot") -> Project:
        """A fresh Project parsed from the text, with ``path`` set (for relative data paths)."""
        project = parse_project(self.text, registry, source=source)
        project.path = Path(self.path) if self.path else None
        return project


def snapshot(project: Project) -> ProjectSnapshot:
    """Freeze ``project`` for a job."""
    return ProjectSnapshot(dumps(project), Path(project.path) if project.path else None)


def dumps(project: Project) -> str:
    """The file text of ``project``."""
    return json.dumps(to_dict(project), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def save_project(project: Project, path: str | os.PathLike) -> Path:
    """Write ``project`` atomically: temp file, fsync, rename. A failure leaves the old file.

    Raises:
        ProjectFileError: if the file cannot be written (the previous file is intact).
    """
    path = Path(path)
    try:
        text = dumps(project)
    except (TypeError, ValueError) as exc:
        raise ProjectFileError(f"{path}: cannot store the project as JSON: {exc}") from None
    write_atomic(path, text)
    project.path = path
    return path


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through the atomic writer.

    Raises:
        ProjectFileError: if writing fails; the previous file is then unchanged.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic.write_text(path, text)
    except OSError as exc:
        raise ProjectFileError(f"{path}: could not save ({exc.strerror or exc}); the previous file is unchanged") from None


def load_project(path: str | os.PathLike, registry: Registry) -> Project:
    """Read and validate a project file.

    Raises:
        ProjectFileError: naming the file and what is wrong with it.
    """
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise ProjectFileError(f"{path}: {size} bytes is too large for a project file")
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ProjectFileError(f"{path}: no such project file") from None
    except IsADirectoryError:
        raise ProjectFileError(f"{path}: is a folder, not a project file") from None
    except OSError as exc:
        raise ProjectFileError(f"{path}: cannot read ({exc.strerror or exc})") from None
    project = parse_project(raw, registry, source=str(path))
    project.path = path
    return project


def parse_project(raw: bytes | str, registry: Registry, source: str = "<project>") -> Project:
    """Parse project text; every failure is a ProjectFileError naming ``source``."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError as exc:
        raise ProjectFileError(f"{source}: not UTF-8 text (byte {exc.start})") from None
    if not text.strip():
        raise ProjectFileError(f"{source}: the file is empty")
    try:
        data = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        hint = " (the file looks truncated)" if exc.pos >= len(text.rstrip()) else ""
        raise ProjectFileError(f"{source}: not valid JSON at line {exc.lineno} column {exc.colno}: "
                               f"{exc.msg}{hint}") from None
    except (ValueError, RecursionError) as exc:
        raise ProjectFileError(f"{source}: not valid JSON: {exc}") from None
    try:
        return from_dict(data, registry, source)
    except ProjectFileError:
        raise
    except SproutError as exc:
        raise ProjectFileError(f"{source}: {exc}") from None
    except RecursionError:
        raise ProjectFileError(f"{source}: structure nested too deeply") from None


def from_dict(data: Any, registry: Registry, source: str = "<project>") -> Project:
    """Build a project from parsed JSON, migrating older versions."""
    def bad(msg: str) -> ProjectFileError:
        return ProjectFileError(f"{source}: {msg}")

    if not isinstance(data, dict):
        raise bad(f"expected a JSON object at the top, found {type(data).__name__}")
    if data.get("format") != FORMAT:
        raise bad(f"not a Sprout project (\"format\" is {data.get('format')!r}, expected \"sprout\")")
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 0:
        raise bad(f"\"version\" must be a whole number, found {version!r}")
    if version > VERSION:
        raise bad(f"format version {version} was written by a newer Sprout; this one reads up to {VERSION}")
    while version < VERSION:
        if version not in MIGRATIONS:
            raise bad(f"format version {version} is no longer supported")
        data = MIGRATIONS[version](dict(data))
        version += 1
    nodes = _typed(data.get("nodes", []), list, "nodes", bad)
    links = _typed(data.get("links", []), list, "links", bad)
    doc = GraphDocument(registry)
    for i, item in enumerate(nodes):
        item = _typed(item, dict, f"nodes[{i}]", bad)
        uid = item.get("id")
        if not isinstance(uid, str) or not uid or len(uid) > 200:
            raise bad(f"nodes[{i}] needs a non-empty string \"id\", found {uid!r}")
        if uid in doc.nodes:
            raise bad(f"node id {uid!r} is used twice")
        block = item.get("block")
        if not isinstance(block, str):
            raise bad(f"node {uid}: \"block\" must be a block id string, found {block!r}")
        params = _typed(item.get("params", {}), dict, f"node {uid} params", bad)
        position = item.get("position", [0, 0])
        if (not isinstance(position, list) or len(position) != 2
                or not all(_finite_number(v) for v in position)):
            raise bad(f"node {uid}: \"position\" must be [x, y] numbers, found {position!r}")
        title = item.get("title")
        if title is not None and not isinstance(title, str):
            raise bad(f"node {uid}: \"title\" must be text, found {title!r}")
        doc.add_node(block, params, tuple(position), title, uid=uid)
    for i, item in enumerate(links):
        item = _typed(item, dict, f"links[{i}]", bad)
        ends = []
        for key in ("from", "to"):
            end = item.get(key)
            if not (isinstance(end, list) and len(end) == 2 and all(isinstance(x, str) for x in end)):
                raise bad(f"links[{i}] \"{key}\" must be [node id, port name], found {end!r}")
            ends.append(end)
        (src, sport), (dst, dport) = ends
        try:
            doc.add_link(src, sport, dst, dport)
        except SproutError as exc:
            raise bad(f"links[{i}]: {exc}") from None
    project = Project(doc)
    project.data = _typed(data.get("data", {"source": "digits"}), dict, "data", bad)
    project.training = _typed(data.get("training", {}), dict, "training", bad)
    project.runs = _typed(data.get("runs", []), list, "runs", bad)
    project.budget = _typed(data.get("budget", {}), dict, "budget", bad)
    project.groups = parse_groups(data.get("groups", []), doc, source)
    project.extra = {k: v for k, v in data.items() if k not in KNOWN_KEYS}
    return project


def _typed(value, typ, what, bad):
    if not isinstance(value, typ):
        raise bad(f"\"{what}\" must be a JSON {'object' if typ is dict else 'array'}, found {type(value).__name__}")
    return value


def _finite_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _reject_constant(name: str):
    raise ValueError(f"{name} is not allowed in a project file")


def _jsonable(params: dict) -> dict:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in params.items()}
