"""What is exported: a trained run, a project (untrained weights) or a model file.

Resolving a source reads only small files (the run record, the graph snapshot) through
the bounded reader; it imports no TensorFlow, so the studio can show the pre-flight at
once. The converter process loads the model itself.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from engine.build.modelio import MODEL_SUFFIXES
from engine.export.options import ExportError
from engine.reader import read_text
from engine.runs.writer import RECORD_FILE, SNAPSHOT_FILE

RUN_MODELS = ("model.keras", "best.keras", "last.keras")
MAX_SMALL_FILE = 32 * 1024 * 1024


@dataclass(frozen=True)
class ExportSource:
    """A resolved source.

    Attributes:
        kind: ``run``, ``project`` or ``model``.
        path: what the user named.
        model_path: the trained model file (None for a project: the worker compiles the graph).
        graph_text: the Sprout project text (graph + data + training), None for a bare model file.
        base_dir: where the project's relative data paths are resolved.
        record: the run's record (metrics, data) when the source is a run.
        data: the project's ``data`` section, or None when the source has no data.
    """

    kind: str
    path: Path
    model_path: Path | None
    graph_text: str | None
    base_dir: Path | None
    record: dict = field(default_factory=dict)
    data: dict | None = None

    @property
    def label(self) -> str:
        """One line naming the source for progress and the model card."""
        if self.kind == "run":
            return f"run {self.record.get('name') or self.path.name} ({self.path})"
        return f"{self.kind} {self.path}"

    def project(self, registry=None):
        """The parsed project of ``graph_text`` (None for a bare model file)."""
        if self.graph_text is None:
            return None
        from blocks.registry import default_registry
        from engine.model.project import parse_project

        return parse_project(self.graph_text, registry or default_registry(), source=str(self.path))


def resolve_source(path: str | Path, data: str | None = None) -> ExportSource:
    """Turn a run folder, a ``.sprout`` project or a ``.keras``/``.h5`` file into a source.

    Args:
        path: the source.
        data: a dataset (embedded name or file) for a bare model file's samples, optional.

    Raises:
        ExportError: the path is none of these, or a run folder lacks its model.
    """
    path = Path(path)
    if path.is_dir():
        return _run(path)
    if not path.exists():
        raise ExportError(f"{path}: no such run folder, project or model file")
    if path.suffix == ".sprout":
        text = read_text(path, MAX_SMALL_FILE, "project file")
        return ExportSource("project", path, None, text, path.parent, {}, _data_of(text, data))
    if path.suffix in MODEL_SUFFIXES:
        return ExportSource("model", path, path, None, Path.cwd(), {}, {"source": data} if data else None)
    raise ExportError(f"{path}: not a run folder, a .sprout project or a model file "
                      f"({', '.join(MODEL_SUFFIXES)})")


def run_source(folder: Path) -> ExportSource:
    """The source of a run folder (what the studio passes for a run of the project)."""
    return _run(Path(folder))


def _run(folder: Path) -> ExportSource:
    record_file, snapshot = folder / RECORD_FILE, folder / SNAPSHOT_FILE
    if not record_file.is_file() or not snapshot.is_file():
        raise ExportError(f"{folder}: not a run folder (it needs {RECORD_FILE} and {SNAPSHOT_FILE})")
    try:
        record = json.loads(read_text(record_file, MAX_SMALL_FILE, "run record"))
    except ValueError as exc:
        raise ExportError(f"{record_file}: not a valid run record ({exc})") from None
    if not isinstance(record, dict):
        raise ExportError(f"{record_file}: not a valid run record")
    model = next((folder / m for m in RUN_MODELS if (folder / m).is_file()), None)
    if model is None:
        raise ExportError(f"{folder}: the run saved no model ({record.get('stop_reason') or 'unknown reason'}); "
                          "nothing to export")
    text = read_text(snapshot, MAX_SMALL_FILE, "run snapshot")
    base = folder.parent.parent if folder.parent.name.endswith(".runs") else folder
    return ExportSource("run", folder, model, text, base, record, _data_of(text, None))


def _data_of(text: str, override: str | None) -> dict | None:
    try:
        data = json.loads(text).get("data")
    except (ValueError, AttributeError):
        data = None
    data = dict(data) if isinstance(data, dict) else {}
    if override:
        data["source"] = override
    return data  # an empty section means the defaults (DataConfig)


def step_source(model_file: str | Path, run: ExportSource) -> ExportSource:
    """A compressed model (a step folder's ``model.keras`` beside its ``graph.sprout``) with its run's data.

    The data section comes from the run the model was compressed from, so int8 export
    calibrates on the same samples and the model card names the classes.
    """
    model = Path(model_file)
    graph = model.parent / SNAPSHOT_FILE  # graph.sprout, as a run folder names it
    text = read_text(graph, MAX_SMALL_FILE, "step graph") if graph.is_file() else None
    return ExportSource("model", model, model, text, run.base_dir, {}, run.data)


def device_options(device_formats) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """``("tflite:int8", "c:int8")`` (a device preset's ``formats``) -> (formats, TFLite variants)."""
    names = tuple(dict.fromkeys(f.split(":")[0] for f in device_formats)) or ("tflite",)
    variants = tuple(dict.fromkeys(f.split(":")[1] if ":" in f else "float32" for f in device_formats)) or ("int8",)
    return names, variants
