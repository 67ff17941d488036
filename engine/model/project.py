"""The ``.sprout`` project file: versioned UTF-8 JSON, validated load, atomic save.

The file shape is a contract shared with other tools (DESIGN.md section 3). Loading is
data only: nothing in a file is ever evaluated.
"""
from __future__ import annotations

import gc
import json
import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from blocks.registry import Registry
from engine import atomic, reader
from engine.data.config import DataConfig
from engine.errors import ProjectFileError, SproutError, TrainingError
from engine.model.document import GraphDocument
from engine.model.groups import parse_groups
from engine.train.config import TrainConfig

FORMAT = "sprout"
VERSION = 1
MAX_BYTES = 64 * 1024 * 1024
MAX_COORDINATE = 1e9  # canvas units; far beyond any real layout, well inside Qt's range
# json.loads keeps a lone "\ud800" escape as a surrogate, which no UTF-8 save can encode;
# proper pairs are joined into one character, so any match here is lone.
_SURROGATE = re.compile("[\ud800-\udfff]")
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
    except UnicodeEncodeError:  # loading refuses these; a caller may still have put one in
        raise ProjectFileError(f"{path}: could not save: the project contains a lone surrogate; "
                               "the previous file is unchanged") from None


def load_project(path: str | os.PathLike, registry: Registry) -> Project:
    """Read and validate a project file.

    Raises:
        ProjectFileError: naming the file and what is wrong with it.
    """
    path = Path(path)  # the bounded reader: no FIFO, device or file past MAX_BYTES
    project = parse_project(reader.read_bytes(path, MAX_BYTES, "project file", ProjectFileError), registry,
                            source=str(path))
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
    collecting = gc.isenabled()
    gc.disable()  # building a big graph allocates in bulk and makes no cycles: collections only cost
    try:
        return from_dict(data, registry, source)
    except ProjectFileError:
        raise
    except SproutError as exc:
        raise ProjectFileError(f"{source}: {exc}") from None
    except RecursionError:
        raise ProjectFileError(f"{source}: structure nested too deeply") from None
    finally:
        if collecting:
            gc.enable()


def from_dict(data: Any, registry: Registry, source: str = "<project>") -> Project:
    """Build a project from parsed JSON, migrating older versions."""
    def bad(msg: str) -> ProjectFileError:
        return ProjectFileError(f"{source}: {msg}")

    if not isinstance(data, dict):
        raise bad(f"expected a JSON object at the top, found {type(data).__name__}")
    _check_values(data, bad)
    if data.get("format") != FORMAT:
        raise bad(f"not a Sprout project (\"format\" is {data.get('format')!r}, expected \"sprout\")")
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 0:
        raise bad(f"\"version\" must be a whole number, found {_brief(version)}")
    if version > VERSION:
        raise bad(f"format version {_brief(version)} was written by a newer Sprout; this one reads up to {VERSION}")
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
        if not isinstance(uid, str) or not uid or len(uid) > 200 or not uid.isprintable():
            raise bad(f"nodes[{i}] needs a non-empty one-line string \"id\", found {_brief(uid)}")
        if uid in doc.nodes:
            raise bad(f"node id {uid!r} is used twice")
        block = item.get("block")
        if not isinstance(block, str):
            raise bad(f"node {uid}: \"block\" must be a block id string, found {block!r}")
        params = _typed(item.get("params", {}), dict, f"node {uid} params", bad)
        position = item.get("position", [0, 0])
        if not (isinstance(position, list) and len(position) == 2 and all(map(_coordinate, position))):
            raise bad(f"node {uid}: \"position\" must be [x, y] numbers within ±{MAX_COORDINATE:.0e}, "
                      f"found {_brief(position)}")
        title = item.get("title")
        if title is not None and not isinstance(title, str):
            raise bad(f"node {uid}: \"title\" must be text, found {title!r}")
        doc.add_node(block, params, tuple(position), title, uid=uid)
    all_ends = []
    for i, item in enumerate(links):
        item = _typed(item, dict, f"links[{i}]", bad)
        ends = [item.get("from"), item.get("to")]
        for key, end in zip(("from", "to"), ends):
            if not (isinstance(end, list) and len(end) == 2 and all(isinstance(x, str) for x in end)):
                raise bad(f"links[{i}] \"{key}\" must be [node id, port name], found {_brief(end)}")
        all_ends.append((*ends[0], *ends[1]))
    try:  # in bulk: one cycle check for the whole file, not one graph walk per link
        doc.add_links(all_ends)
    except SproutError as exc:
        raise bad(f"links[{getattr(exc, 'index', '?')}]: {exc}") from None
    project = Project(doc)
    project.data = _typed(data.get("data", {"source": "digits"}), dict, "data", bad)
    DataConfig.from_dict(project.data)  # read later by the GUI and trainer, outside error handling
    project.training = _typed(data.get("training", {}), dict, "training", bad)
    try:  # read later by the GUI's training form and the trainer, outside error handling
        TrainConfig.from_dict(project.training)
    except TrainingError as exc:
        raise bad(str(exc)) from None
    project.runs = _check_runs(_typed(data.get("runs", []), list, "runs", bad), bad)
    project.budget = _typed(data.get("budget", {}), dict, "budget", bad)
    project.groups = parse_groups(data.get("groups", []), doc, source)
    project.extra = {k: v for k, v in data.items() if k not in KNOWN_KEYS}
    return project


def _typed(value, typ, what, bad):
    if not isinstance(value, typ):
        raise bad(f"\"{what}\" must be a JSON {'object' if typ is dict else 'array'}, found {type(value).__name__}")
    return value


# What a run record (engine.runs.store.make_record) holds, as the runs view reads it.
# Other keys are kept as they are; absent keys are fine (the view shows a blank).
_RUN_TEXT = ("name", "folder", "created", "stop_reason", "message")
_RUN_NUMBERS = ("params", "macs", "epochs_run")
_RUN_OBJECTS = ("data", "training")


def _check_runs(runs: list, bad) -> list:
    """Refuse run records the studio could not show: one line naming ``runs[i]`` and the key.

    Ids are plain folder names (``engine.runs.store.is_run_id``): a record is data and
    must never steer Sprout to another folder.
    """
    from engine.runs.store import is_run_id  # engine.runs imports the trainer: keep loading light

    for i, record in enumerate(runs):
        where = f"runs[{i}]"
        if not isinstance(record, dict):
            raise bad(f"{where} must be a JSON object, found {type(record).__name__}")
        if not is_run_id(record.get("id")):
            raise bad(f"{where}: \"id\" must be a plain folder name (no separators, no leading dot, "
                      f"at most 120 characters), found {_brief(record.get('id'))}")
        for key in _RUN_TEXT:
            if key in record and not isinstance(record[key], str):
                raise bad(f"{where}: \"{key}\" must be text, found {_brief(record[key])}")
        for key in (*_RUN_NUMBERS, "best_epoch"):
            value = record.get(key)
            if key in record and not (_finite(value) or (key == "best_epoch" and value is None)):
                raise bad(f"{where}: \"{key}\" must be a finite number, found {_brief(value)}")
        for key in _RUN_OBJECTS:
            if key in record and not isinstance(record[key], dict):
                raise bad(f"{where}: \"{key}\" must be a JSON object, found {_brief(record[key])}")
        metrics = record.get("metrics", {})
        if not isinstance(metrics, dict):
            raise bad(f"{where}: \"metrics\" must be a JSON object, found {_brief(metrics)}")
        for split, values in metrics.items():
            if not isinstance(values, dict):  # {"test": {"accuracy": ...}, ...}
                raise bad(f"{where}: \"metrics\".\"{_safe(split)}\" must be a JSON object, "
                          f"found {_brief(values)}")
    return runs


def _finite(v) -> bool:  # abs(v) <= max: exact for any int (no OverflowError), False for NaN and inf
    return isinstance(v, (int, float)) and not isinstance(v, bool) and abs(v) <= sys.float_info.max


def _coordinate(v) -> bool:  # abs(v) <= bound: exact for any int (no OverflowError), False for NaN
    return isinstance(v, (int, float)) and not isinstance(v, bool) and abs(v) <= MAX_COORDINATE


def _suspect(data) -> bool:
    """True when some string or number in ``data`` might be refused by ``_check_values``.

    A fast pass without keeping paths (ASCII text can hold no surrogate; most files are
    all ASCII): the slow pass that names the place runs only when this finds something.
    """
    stack = [data]
    limit = sys.float_info.max
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            if not value.isascii() and _SURROGATE.search(value):
                return True
        elif isinstance(value, dict):
            for key, item in value.items():
                if not key.isascii() and _SURROGATE.search(key):
                    return True
                stack.append(item)
        elif isinstance(value, list):
            stack.extend(value)
        elif isinstance(value, (int, float)) and not isinstance(value, bool) and not abs(value) <= limit:
            return True
    return False


def _check_values(data: dict, bad) -> None:
    """One pass over every key and value, before anything reads them.

    Refuses text no UTF-8 file can hold (a lone surrogate: save and autosave would fail
    later) and numbers no float can hold (an integer past 1.8e308, or ``1e400``, which
    json reads as infinity), naming where each is. Iterative: nesting is bounded by json.
    """
    if not _suspect(data):
        return
    stack = [((), data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            found = _SURROGATE.search(value)
            if found:
                raise bad(f"{_where(data, path)} contains an invalid character "
                          f"(a lone surrogate \\u{ord(found.group()):04x})")
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            if not abs(value) <= sys.float_info.max:  # exact for ints of any size; False for NaN
                raise bad(f"{_where(data, path)} is a number out of range ({_brief(value)}; the largest is 1.8e308)")
        elif isinstance(value, dict):
            for key in reversed(list(value)):  # reversed: the stack then yields file order
                if _SURROGATE.search(key):
                    raise bad(f"{_where(data, (*path, key))} (a key) contains an invalid character (a lone surrogate)")
                stack.append(((*path, key), value[key]))
        elif isinstance(value, list):
            stack.extend(((*path, i), v) for i, v in reversed(list(enumerate(value))))


def _where(data: dict, path: tuple) -> str:
    """``("nodes", 1, "title")`` -> ``node n2: "title"``; elsewhere ``"data"."source"``."""
    head, rest = "", path
    if len(path) >= 2 and path[0] == "nodes" and isinstance(path[1], int):
        node = data["nodes"][path[1]]
        uid = node.get("id") if isinstance(node, dict) else None
        ok = isinstance(uid, str) and 0 < len(uid) <= 200 and uid.isprintable() and not _SURROGATE.search(uid)
        head, rest = (f"node {uid}" if ok else f"nodes[{path[1]}]"), path[2:]
    keys = "".join(f"[{k}]" if isinstance(k, int) else f'."{_safe(k)}"' for k in rest).lstrip(".")
    return f"{head}: {keys}" if head and keys else head or keys or "the file"


def _safe(text: str) -> str:
    """A key as one printable line: surrogates and control characters escaped, long keys cut."""
    text = ascii(text)[1:-1] if not text.isprintable() or _SURROGATE.search(text) else text
    return text if len(text) <= 40 else text[:37] + "..."


def _brief(v) -> str:
    """A short repr for messages: a 400-digit integer or a long list would bury them."""
    if isinstance(v, int) and not isinstance(v, bool) and v.bit_length() > 64:
        return f"an integer of about {int(v.bit_length() * 0.30103) + 1} digits"
    return repr(v) if len(repr(v)) <= 60 else repr(v)[:57] + "..."


def _reject_constant(name: str):
    raise ValueError(f"{name} is not allowed in a project file")


def _jsonable(params: dict) -> dict:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in params.items()}
