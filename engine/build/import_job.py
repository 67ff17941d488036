"""Importing a model file as a job: a ``.keras``/``.h5`` in, a project plus a run holding its weights out.

``import_job(model_path, options, on_progress, control)`` follows the job contract. It
loads the file in safe mode (code in a file is refused, never run), maps it to a graph
(:mod:`engine.build.importer`), compiles that graph, copies the weights layer by layer
(nodes are named after the layers), checks that both models predict the same on a few
random samples, and only then writes: the ``.sprout`` project and one run folder beside
it (``<stem>.runs/<id>/`` with ``model.keras``, ``graph.sprout``, ``run.json`` and
``summary.json``), so training continues from the weights and compression and export
take the run at once.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from engine import atomic
from engine.build.importer import Mapping, ModelImportError, map_model
from engine.errors import SproutError
from engine.jobs import JobControl, OnProgress, Progress, report

STAGE = "import"
STEPS = 5
SAMPLES = 4


@dataclass(frozen=True)
class ImportOptions:
    """Where the project goes and how layers without a block are treated.

    Attributes:
        out: the ``.sprout`` file to create (refused when it exists).
        partial: keep layers no block stands for as read-only Keras layer nodes.
        data: the project's ``data`` section (None: Sprout's default, the digits).
    """

    out: Path
    partial: bool = False
    data: dict | None = None


@dataclass
class ImportResult:
    """What the import made and how faithful it is."""

    project_path: Path
    run_folder: Path
    rows: list  # engine.build.importer.Row
    opaque: dict = field(default_factory=dict)  # Keras class -> count kept as saved
    max_difference: float = 0.0  # largest |prediction difference| on random samples


def check_out(out: Path) -> Path:
    """The project path, or a one-line reason it cannot be written."""
    out = Path(out)
    if out.suffix != ".sprout":
        raise ModelImportError(f"{out}: the project file name must end in .sprout")
    if out.exists():
        raise ModelImportError(f"{out}: exists already; choose a new project file name")
    blocking = atomic.file_in_the_way(out)
    if blocking is not None:
        raise ModelImportError(f"{out}: {blocking} is a file, not a folder")
    return out


def import_job(model_path, options: ImportOptions, on_progress: OnProgress | None = None,
               control: JobControl | None = None) -> ImportResult:
    """Import ``model_path`` into a new project with one run holding its weights.

    Raises:
        ModelFileError: the file is missing, corrupt or holds code.
        ModelImportError: layers without a block (unless partial), a shared layer, or a
            project path that cannot be written.
    """
    from blocks.registry import default_registry
    from engine.build.modelio import load_model

    out = check_out(options.out)
    step = _stepper(on_progress)
    step("loading the model file")
    original = load_model(model_path)
    if control is not None and control.should_stop():
        raise ModelImportError("import stopped before anything was written")
    step("mapping layers to blocks")
    mapping = map_model(original, default_registry(), partial=options.partial)
    step("compiling the graph and copying the weights")
    compiled = rebuild(mapping)
    step("comparing predictions")
    difference = max_difference(original, compiled, mapping)
    step("writing the project and its run")
    folder = write(out, mapping, compiled.model, Path(model_path), options.data)
    return ImportResult(out, folder, mapping.rows, dict(mapping.opaque), difference)


def _stepper(on_progress):
    count = [0]

    def step(message: str) -> None:
        count[0] += 1
        report(on_progress, Progress(STAGE, count[0], STEPS, message, milestone=True))
    return step


def rebuild(mapping: Mapping):
    """The compiled graph of ``mapping`` with every layer's weights copied from the original."""
    from engine.build.compiler import compile_document

    try:
        compiled = compile_document(mapping.document)
    except SproutError as exc:
        raise ModelImportError(f"the imported graph does not compile: {exc}") from None
    for uid, lay in mapping.layers.items():
        try:
            compiled.model.get_layer(uid).set_weights(lay.obj.get_weights())
        except ValueError as exc:
            raise ModelImportError(f"layer {uid}: its weights do not fit the rebuilt layer "
                                   f"({str(exc).splitlines()[0]})") from None
    return compiled


def max_difference(original, compiled, mapping: Mapping, samples: int = SAMPLES) -> float:
    """Largest absolute difference between the two models' outputs on random inputs."""
    rng = np.random.default_rng(0)
    by_uid = {}
    for uid, tensor in zip(mapping.inputs, original.inputs):
        shape = (samples, *tensor.shape[1:])
        if "int" in str(tensor.dtype):
            by_uid[uid] = rng.integers(0, 2, size=shape).astype(str(tensor.dtype))
        else:
            by_uid[uid] = rng.normal(size=shape).astype("float32")
    before = _outputs(original, [by_uid[u] for u in mapping.inputs])
    after = _outputs(compiled.model, [by_uid[u] for u in compiled.inputs])
    position = {spec.uid: i for i, spec in enumerate(compiled.outputs)}
    worst = 0.0
    for i, uid in enumerate(mapping.outputs):
        worst = max(worst, float(np.max(np.abs(before[i] - after[position[uid]]))))
    return worst


def _outputs(model, xs) -> list:
    with warnings.catch_warnings():  # a model built on [input] nags about a bare tensor; same values
        warnings.filterwarnings("ignore", message="The structure of `inputs`", category=UserWarning)
        y = model(xs if len(xs) > 1 else xs[0], training=False)
    return [np.asarray(t) for t in (y if isinstance(y, (list, tuple)) else [y])]


def write(out: Path, mapping: Mapping, model, source: Path, data: dict | None) -> Path:
    """Save the project and its one run (the imported weights); returns the run folder."""
    from engine.analysis.graph import analyze
    from engine.build.modelio import save_model
    from engine.model.project import Project, dumps, save_project
    from engine.runs.store import make_record, new_run_folder, relative_folder, runs_root
    from engine.runs.writer import SUMMARY_FILE, write_json, write_record, write_snapshot
    from engine.train.trainer import TrainResult

    project = Project(mapping.document)
    if data is not None:
        project.data = dict(data)
    out.parent.mkdir(parents=True, exist_ok=True)
    run_id, folder = new_run_folder(runs_root(out, out.parent))
    save_model(model, folder / "model.keras")
    write_snapshot(folder, dumps(project))
    totals = analyze(mapping.document).totals()
    message = f"imported from {source.name}"
    result = TrainResult([], "imported", 0, None, {}, message)
    record = make_record(run_id, relative_folder(folder, out.parent), result, totals["params"], totals["macs"],
                         project.data, project.training, name=f"Imported {source.stem}")
    write_record(folder, record)
    write_json(folder / SUMMARY_FILE, {"stop_reason": "imported", "message": message, "source": str(source),
                                       "params": int(model.count_params()), "epochs_run": 0,
                                       "mapping": [row_json(r) for r in mapping.rows]})
    project.runs = [record]
    save_project(project, out)
    return folder


def row_json(row) -> dict:
    """One mapping-table row as JSON."""
    return {"layer": row.layer, "keras_class": row.keras_class, "block": row.block, "notes": list(row.notes)}
