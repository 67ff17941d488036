"""Running a compression plan as a job: a trained model in, one folder per step and a report out.

``compress_job(source, plan, out_dir, on_progress, control)`` follows the job contract.
Everything is checked first (the plan against the model and data: ranks, classifier
output, what TFLite can carry), so a bad plan costs no training. Each finished step is
saved at once (``NN-method/model.keras`` and, when the model has a graph, its
``graph.sprout``); then one converter process converts every step to its TFLite and
measures it in the LiteRT interpreter on the test split. Stop ends the running step;
the finished steps are kept and measured, and the report says it stopped.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from engine import atomic
from engine.build.modelio import load_model, save_model
from engine.compress import distill, lowrank, report
from engine.compress.context import Context, State, count_params, fits_model
from engine.compress.measure import Item, measure_all
from engine.compress.plan import Plan
from engine.compress.steps import METHODS
from engine.errors import CompressionError
from engine.jobs import JobControl, OnProgress, Progress
from engine.jobs import report as send
from engine.train.config import TrainConfig

BASELINE_TFLITE = "baseline.tflite"
REPRESENTATIVE = 200


@dataclass
class CompressResult:
    """What a plan produced: the report (as written) and where."""

    report: dict
    folder: Path
    stopped: bool
    state: State | None = None  # the last step's model (for callers in the same process)


def check_plan(plan: Plan, project, dataset, source) -> list[str]:
    """Every problem that would stop the plan, raised before any work; returns preview lines."""
    lines = []
    for i, step in enumerate(plan.steps, 1):
        where, method = f"step {i} ({step['method']})", step["method"]
        needs_graph = method in ("distill", "factorize") or (method == "prune" and step["structured"])
        if needs_graph and project is None:
            raise CompressionError(f"{where}: needs the model's graph (a run or a project), not a bare model file")
        try:
            if method == "factorize" and not _changes_graph(plan, i):
                lines += lowrank.preview(project, step)
            if method == "distill":
                distill.check(project, dataset)
                if step["student"] not in ("slim", "previous") and not Path(step["student"]).is_file():
                    raise CompressionError(f"student {step['student']!r}: no such project file")
        except CompressionError as exc:
            raise CompressionError(f"{where}: {exc}") from None
        if method == "quantize" and source is not None and project is not None:
            from engine.export.options import ExportOptions
            from engine.export.preflight import preflight

            variant = "int8" if step["mode"] == "qat" else step["mode"]
            refused = [r for r in preflight(source, ExportOptions.parse("tflite", variant),
                                            project.document.registry).rows
                       if r.level == "refuse"]
            if refused:
                raise CompressionError(f"{where}: TFLite cannot carry this model: {refused[0].line().strip()}")
    return lines


def _changes_graph(plan: Plan, index: int) -> bool:
    """True when a step before ``index`` (1-based) reshapes the graph (shapes unknown until it ran)."""
    return any(s["method"] == "distill" or s["method"] == "factorize" or (s["method"] == "prune" and s["structured"])
               for s in plan.steps[:index - 1])


def load_inputs(source_path, data: str | None = None):
    """(source, project or None, dataset, train config, model) of a run folder or model file."""
    from engine.export.job import source_dataset
    from engine.export.source import resolve_source

    source = resolve_source(source_path, data)
    if source.kind == "project":
        raise CompressionError(f"{source.path}: a project has no trained weights; compress a run of it "
                               "(its folder) or a model file")
    dataset, _ = source_dataset(source)
    if dataset is None:
        raise CompressionError(f"{source.path}: compression needs data to fine-tune and measure on; "
                               "pass --data (an embedded dataset or a file)")
    project = source.project()
    config = TrainConfig.from_dict(project.training if project is not None else {})
    return source, project, dataset, config


def compress_job(source_path, plan: Plan, out_dir, on_progress: OnProgress | None = None,
                 control: JobControl | None = None, data: str | None = None) -> CompressResult:
    """Run ``plan`` on a trained run folder or model file; write steps and report into ``out_dir``.

    Raises:
        CompressionError / SproutError: a bad plan, source or data (before any work).
    """
    import keras

    source, project, dataset, config = load_inputs(source_path, data)
    check_plan(plan, project, dataset, source)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    original = State(load_model(source.model_path), project)
    fits_model(dataset, original.model)
    state = State(load_model(source.model_path), project, from_logits=original.logits())
    original.from_logits = state.from_logits
    keras.utils.set_random_seed(config.seed)
    total = len(plan.steps)
    saved: list[tuple[dict, State, Path, tuple]] = []
    stopped = False
    for i, step in enumerate(plan.steps, 1):
        if control is not None and control.should_stop():
            stopped = True
            break
        ctx = Context(dataset, config, _prefixed(on_progress, f"step {i}/{total} {step['method']}"), control)
        ctx.say("starting", 0, None, milestone=True)
        before = len(state.notes)
        state = METHODS[step["method"]](state, ctx, step, original)
        if control is not None and control.stopped:
            stopped = True  # the step was cut short: not kept
            break
        folder = out / f"{i:02d}-{step['method']}"
        folder.mkdir(exist_ok=True)
        model_file = save_model(state.model, folder / "model.keras")
        if state.project is not None:
            from engine.model.project import dumps

            atomic.write_text(folder / "graph.sprout", dumps(_without_runs(state.project)))
        saved.append((step, state, model_file, (*count_params(state.model), _macs(state.project),
                                                state.variant, tuple(state.notes[before:]))))
        send(on_progress, Progress("compress", i, total, f"step {i}/{total} {step['method']} done",
                                   milestone=True))
    # Stopped before any step finished: nothing to compare, so no converter (it takes seconds to start).
    items = [Item(Path(source.model_path), "float32", out / BASELINE_TFLITE)] if saved or not stopped else []
    for (step, _, model_file, (_p, _n, _m, variant, _notes)) in saved:
        io = step.get("int8_io", "int8")
        items.append(Item(model_file, variant, model_file.with_name(f"model_{variant}.tflite"), io))
    if items:
        send(on_progress, Progress("measure", 0, len(items), f"converting and measuring {len(items)} TFLite files"))
    measured = measure_all(items, dataset.x_test, dataset.y_test, dataset.x_train[:REPRESENTATIVE], None,
                           _measure_events(on_progress, len(items)))
    params, nonzero = count_params(original.model)
    base = report.row("baseline", params, nonzero, _macs(project), "float32", Path(source.model_path),
                      measured.get(items[0].out_file) if items else None)
    rows = [report.row(step["method"], p, n, m, variant, model_file, measured.get(item.out_file), notes)
            for (step, _, model_file, (p, n, m, variant, notes)), item in zip(saved, items[1:])]
    written = report.write_report(out, base, rows, plan.to_json(), stopped, source.label)
    atomic.write_text(out / "plan.json", json.dumps(plan.to_json(), indent=2) + "\n")
    return CompressResult(written, out, stopped, state)


def _without_runs(project):
    from engine.compress.graph import clone

    copy = clone(project)
    copy.runs = []
    return copy


def _macs(project) -> int | None:
    if project is None:
        return None
    from engine.analysis.graph import analyze

    return int(analyze(project.document).totals().get("macs", 0))


def _prefixed(on_progress: OnProgress | None, prefix: str) -> OnProgress | None:
    if on_progress is None:
        return None

    def forward(p: Progress) -> None:
        on_progress(Progress("compress", p.step, p.total, f"{prefix}: {p.message}", p.metrics, p.milestone))
    return forward


def _measure_events(on_progress: OnProgress | None, total: int):
    done = [0]

    def on_event(event: dict) -> None:
        if event["event"] in ("done", "error"):
            done[0] += 1
            send(on_progress, Progress("measure", done[0], total, f"measured {Path(event['file']).name}",
                                       milestone=True))
    return on_event
