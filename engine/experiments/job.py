"""``ablation_job``: every (variant, seed) of an experiment trained once, the results written.

Before any training, every variant's graph is built and analysed: a spec that does not
apply or a variant that does not compile is one line, and nothing is trained. Runs whose
folder already holds a finished marker with their identity are read back (resume); the
rest go to the runner (this process, the local pool, or Ray). ``DIR/results.csv`` (one row
per run), ``DIR/summary.md`` and ``DIR/experiment.json`` are rewritten after every run, so
an interrupted experiment leaves the table of what finished.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from engine.experiments import results
from engine.experiments.plan import Experiment, Task, build_variants, run_text, tasks
from engine.experiments.spec import SpecError
from engine.experiments.worker import finished_row
from engine.jobs import JobControl, OnProgress, Progress
from engine.model.project import Project

RUNS_DIR = "runs"


@dataclass
class AblationResult:
    rows: list[dict]
    summaries: list[results.VariantSummary]
    resumed: int = 0  # runs read back from an earlier, interrupted invocation
    trained: int = 0
    stopped: bool = False
    out: Path | None = None
    variants: list[str] = field(default_factory=list)


def check_variants(project: Project, experiment: Experiment):
    """The variants, each analysed; SpecError naming the first that would not train."""
    from engine.analysis.graph import analyze
    from engine.model.project import parse_project

    found = build_variants(project, experiment)
    for v in found:
        analysis = analyze(parse_project(v.text, project.document.registry, source=v.label).document)
        if analysis.errors:
            raise SpecError(f"variant {v.label!r}: {analysis.errors[0]}")
    return found


def ablation_job(project: Project, experiment: Experiment, out: str | Path, on_progress: OnProgress | None = None,
                 control: JobControl | None = None, workers: int | None = None,
                 ray_address: str | None = None) -> AblationResult:
    from engine.experiments.runners import pool_size, run_here, run_pool, run_ray
    from engine.runs.writer import write_json

    experiment = experiment.checked()
    found = check_variants(project, experiment)
    todo = tasks(found, experiment)
    out = Path(out)
    (out / RUNS_DIR).mkdir(parents=True, exist_ok=True)
    rows: list[dict] = []
    payloads = []
    for t in todo:
        row = finished_row(out / RUNS_DIR / t.folder_name, t.identity)
        if row is not None:
            rows.append(row)
        else:
            payloads.append(_payload(project, t, out))
    result = AblationResult(rows, [], resumed=len(rows), out=out, variants=[v.label for v in found])
    total = len(todo)

    def write():
        result.summaries = results.summarize(result.rows)
        from engine import atomic

        atomic.write_text(out / "results.csv", results.to_csv(result.rows))
        atomic.write_text(out / "summary.md", results.to_markdown(result.summaries, experiment.seeds,
                                                                  experiment.epochs))
        write_json(out / "experiment.json", {**experiment.to_json(), "variants": result.variants,
                                             "runs": total, "finished": len(result.rows)})

    def on_row(row: dict) -> None:
        result.rows.append(row)
        result.trained += 1
        write()
        if on_progress is not None:
            acc = row.get("test_accuracy")
            on_progress(Progress("ablate", len(result.rows), total,
                                 f"run {len(result.rows)}/{total}: {row['variant']} seed {row['seed']}: "
                                 + (f"{100 * acc:.2f}%" if acc is not None else row["stop_reason"]),
                                 {"row": row}, milestone=True))

    write()
    if on_progress is not None and result.resumed:
        on_progress(Progress("ablate", len(rows), total, f"resumed: {len(rows)} finished run(s) kept",
                             milestone=True))
    if payloads:
        if ray_address:
            run_ray(payloads, ray_address, on_row, control)
        else:
            n = pool_size(len(payloads), workers)
            (run_here if n == 1 else lambda p, r, c: run_pool(p, n, r, c))(payloads, on_row, control)
    result.stopped = len(result.rows) < total
    write()
    return result


@dataclass(frozen=True)
class AblationOptions:
    """The studio's ablation job: what to run and where (``out`` from :func:`experiment_folder`)."""

    experiment: Experiment
    out: Path
    workers: int | None = None
    ray_address: str | None = None
    registry: object = None


def experiment_folder(runs_root: Path, experiment: Experiment) -> Path:
    """``<runs root>/experiments/<hash>``: the same definition, the same folder, so a restart resumes."""
    import hashlib
    import json

    key = hashlib.sha256(json.dumps(experiment.to_json(), sort_keys=True).encode()).hexdigest()[:10]
    return Path(runs_root) / "experiments" / key


def run_ablation(snapshot, options: AblationOptions, on_progress: OnProgress | None = None,
                 control: JobControl | None = None) -> AblationResult:
    """The job (``engine.jobs`` contract): a project snapshot in, the ablation's result out."""
    from blocks.registry import default_registry
    from engine.model.project import parse_project

    project = parse_project(snapshot.text, options.registry or default_registry(), source="ablation")
    project.path = snapshot.path
    return ablation_job(project, options.experiment, options.out, on_progress, control, options.workers,
                        options.ray_address)


def _payload(project: Project, task: Task, out: Path) -> dict:
    return {"text": run_text(task), "project_path": str(project.path) if project.path else None,
            "folder": str(out / RUNS_DIR / task.folder_name), "label": task.variant.label,
            "variant_index": task.variant.index, "seed": task.seed, "identity": task.identity}
