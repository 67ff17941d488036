"""One training run, start to end, as a job: a snapshot in, a run folder and its record out."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

from engine.jobs import JobControl, OnProgress, Progress
from engine.model.project import ProjectSnapshot
from engine.runs.results import ClassResults, predict_classes
from engine.runs.store import TENSORBOARD_DIR, make_record
from engine.runs.tensorboard import TensorBoardLog
from engine.runs.writer import write_record, write_snapshot, write_training_files
from engine.train.trainer import TrainResult


@dataclass(frozen=True)
class RunOptions:
    """Where a run goes and what it is called (fixed by the caller before it starts).

    Attributes:
        run_id: the run's id (a plain folder name).
        folder: the run folder, already created.
        record_folder: what the record stores as ``folder`` (relative to the project).
        name: the display name (default "Run <id>").
        registry: the blocks to parse the snapshot with (default: the shipped ones).
    """

    run_id: str
    folder: Path
    record_folder: str
    name: str | None = None
    registry: object = None


@dataclass
class RunOutcome:
    """What a finished run hands back to its caller (plain data, safe across threads)."""

    record: dict
    result: TrainResult
    classes: ClassResults | None = None


def training_job(snapshot: ProjectSnapshot, options: RunOptions, on_progress: OnProgress | None = None,
                 control: JobControl | None = None) -> RunOutcome:
    """Train a project snapshot into ``options.folder`` and describe the run.

    Writes the graph as trained, TensorBoard scalars, the models, history, summary,
    test predictions and ``run.json`` (all through the atomic writer). ``"auto"``
    execution settings are calibrated once per graph signature and cached in
    ``execution_cache.json`` in the runs folder (the run folder's parent).

    Raises:
        SproutError: bad settings, data or graph (the caller shows the message).
    """
    from blocks.registry import default_registry
    from engine.analysis.graph import analyze
    from engine.train.calibrate import CACHE_FILE, ExecutionCache
    from engine.train.workflow import plan_run, run_training

    folder = Path(options.folder)
    project = snapshot.load(options.registry or default_registry(), source="training snapshot")
    plan = plan_run(project)
    write_snapshot(folder, snapshot.text)
    board = TensorBoardLog(folder / TENSORBOARD_DIR)

    def forward(p: Progress) -> None:
        if p.stage == "epoch":
            board.epoch(p.metrics)
        if on_progress is not None:
            on_progress(p)

    try:
        compiled, dataset, result = run_training(plan, forward, control,
                                                 ExecutionCache(folder.parent / CACHE_FILE))
    finally:
        board.close()
    write_training_files(folder, compiled.model, result, plan.train_config, dataset)
    totals = analyze(project.document).totals()
    classes = None
    if result.metrics:  # a run that never had finite weights has nothing to predict with
        classes = predict_classes(compiled.model, dataset)
        if classes is not None:
            classes.save(folder)
    record = make_record(options.run_id, options.record_folder, result, totals.get("params", 0),
                         totals.get("macs", 0), asdict(plan.data_config), asdict(plan.train_config), options.name)
    write_record(folder, record)
    return RunOutcome(record, result, classes)
