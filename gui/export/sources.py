"""What the export dialog offers to export, and the sizes it expects: plain data, no widgets.

A choice is a run of the project (with a folder on disk), the graph as it is in the
editor (untrained weights), or a model file the user picked. Each knows its label, its
parameter count (for the size estimate) and its default output folder, and resolves to
an :class:`~engine.export.source.ExportSource` only when asked (reading small files).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from engine.export.formats import formats
from engine.export.source import ExportSource, resolve_source, run_source, step_source
from engine.model.project import dumps
from engine.runs import store as runs

GRAPH = "graph"

# Expected bytes per parameter of each TFLite variant (int8 and dynamic keep int32 biases).
BYTES_PER_PARAM = {"float32": 4.0, "float16": 2.0, "dynamic": 1.15, "int8": 1.15}
# Fixed cost of a file (config, graph, scripts, metadata), measured on this stack with iris_mlp and
# digits_cnn; a SavedModel holds the weights twice (variables and the traced graph's constants).
OVERHEAD = {"keras": 30_000, "h5": 20_000, "savedmodel": 48_000, "tflite": 3_000, "onnx": 2_000, "python": 22_000}
FACTOR = {"savedmodel": 2.0}
DEFAULT_OVERHEAD = 4_000
# A C header is a .tflite file as text: about 6.2 characters ("0x1f, ") per byte, plus its comment.
C_TEXT_PER_BYTE, C_COMMENT = 6.2, 3_500


@dataclass(frozen=True)
class SourceChoice:
    """One entry of the source picker.

    Attributes:
        key: ``run:<id>``, ``graph`` or ``model:<path>``.
        label: for the picker.
        params: parameters of the model (None when unknown: a bare model file).
        out_dir: where its export goes by default.
        resolve: builds the engine's source (may raise ExportError).
    """

    key: str
    label: str
    params: int | None
    out_dir: Path
    resolve: Callable[[], ExportSource]


def run_label(record: dict) -> str:
    """A run as the Runs tab names it, with its test accuracy."""
    score = runs.score_of(record)
    accuracy = "no accuracy" if score is None else f"accuracy {score:.2%}"
    created = f", {record['created']}" if record.get("created") else ""
    return f"{record.get('name', record['id'])} ({accuracy}{created})"


def run_choices(project, untitled_root: Path) -> list[SourceChoice]:
    """The project's runs whose folder exists, newest first."""
    records = [r for r in project.runs if isinstance(r, dict) and r.get("id")]
    records = sorted(reversed(records), key=lambda r: str(r.get("created", "")), reverse=True)
    out = []
    for record in records:
        folder = runs.folder_of(record, project.path, untitled_root)
        if folder is None or not folder.is_dir():
            continue
        params = record.get("params")
        out.append(SourceChoice(f"run:{record['id']}", run_label(record),
                                int(params) if isinstance(params, int) else None, folder / "export",
                                lambda f=folder: run_source(f)))
    return out


def graph_choice(project, params: int | None, untitled_root: Path) -> SourceChoice:
    """The editor's project as it is now (a snapshot of its text), exported untrained."""
    text = dumps(project)
    data = dict(project.data) if isinstance(project.data, dict) else {}
    if project.path is not None:
        path = Path(project.path)
        base, out = path.parent, path.parent / f"{path.stem}_export"
    else:
        path = Path("untitled.sprout")
        base, out = Path.cwd(), Path(untitled_root).parent / "untitled-export"
    return SourceChoice(GRAPH, "The graph as it is (untrained)", params, out,
                        lambda: ExportSource("project", path, None, text, base, {}, data))


def model_choice(path: str | Path) -> SourceChoice:
    """A ``.keras`` or ``.h5`` file chosen by the user."""
    path = Path(path)
    return SourceChoice(f"model:{path}", f"Model file {path.name}", None, path.parent / f"{path.stem}_export",
                        lambda: resolve_source(path))


def compressed_choice(model_file: str | Path, run_folder: str | Path, label: str,
                      params: int | None) -> SourceChoice:
    """A compressed model of a run (a step folder's ``model.keras``), exported with the run's data."""
    model = Path(model_file)
    return SourceChoice(f"model:{model}", f"Compressed: {label}", params, model.parent / "export",
                        lambda: step_source(model, run_source(Path(run_folder))))


def expected_size(fmt_name: str, variant: str, params: int | None) -> int | None:
    """About how many bytes a planned file will take (None when the parameters are unknown)."""
    if params is None:
        return None
    if fmt_name == "c":
        return int(C_TEXT_PER_BYTE * expected_size("tflite", variant, params) + C_COMMENT)
    fmt = formats().get(fmt_name)
    per = BYTES_PER_PARAM.get(variant, 4.0) if fmt is not None and fmt.variants else 4.0
    return int(params * per * FACTOR.get(fmt_name, 1.0) + OVERHEAD.get(fmt_name, DEFAULT_OVERHEAD))


def human_size(n: int | None, about: bool = False) -> str:
    """``2.7 KB``, ``1.4 MB``; ``about`` prefixes the word; None is a dash."""
    if n is None:
        return "–"
    if n < 1024:
        text = f"{n} B"
    elif n < 1024 * 1024:
        text = f"{n / 1024:.1f} KB"
    else:
        text = f"{n / (1024 * 1024):.2f} MB"
    return f"about {text}" if about else text
