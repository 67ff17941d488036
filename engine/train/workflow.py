"""End-to-end steps shared by the CLI and the GUI: project -> model -> data -> run."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from blocks.registry import Registry, default_registry
from engine.build.compiler import CompiledGraph, compile_document
from engine.data.datasets import DataConfig, Dataset, load_dataset
from engine.model.project import Project, load_project
from engine.train.config import TrainConfig
from engine.train.trainer import TrainResult, train


@dataclass
class RunPlan:
    """Everything a training run needs, resolved and validated."""

    project: Project
    data_config: DataConfig
    train_config: TrainConfig


def open_project(path: str | Path, registry: Registry | None = None) -> Project:
    """Load a project file with the shipped blocks."""
    return load_project(path, registry or default_registry())


def plan_run(project: Project, epochs: int | None = None, data: str | None = None,
             seed: int | None = None, batch_size: int | None = None) -> RunPlan:
    """Merge the project's settings with overrides; raises SproutError on bad values."""
    train_cfg = TrainConfig.from_dict(project.training, epochs=epochs, seed=seed, batch_size=batch_size)
    data_dict = dict(project.data)
    if data:
        data_dict["source"] = data
    data_cfg = DataConfig.from_dict(data_dict, seed=train_cfg.seed if seed is not None else None)
    return RunPlan(project, data_cfg, train_cfg)


def load_data(plan: RunPlan) -> Dataset:
    """The dataset of a plan, relative paths resolved against the project's folder."""
    base = plan.project.path.parent if plan.project.path else None
    return load_dataset(plan.data_config, base_dir=base)


def run_training(plan: RunPlan, on_progress=None, control=None,
                 execution=None) -> tuple[CompiledGraph, Dataset, TrainResult]:
    """Compile, load data and train; returns the compiled graph, data and result (nothing is written).

    ``execution``: settings or an ``ExecutionCache`` for ``"auto"`` execution settings
    (see ``engine.train.trainer.resolve_execution``).
    """
    import keras

    dataset = load_data(plan)
    keras.utils.set_random_seed(plan.train_config.seed)  # initial weights are part of a reproducible run
    compiled = compile_document(plan.project.document)
    result = train(compiled, dataset, plan.train_config, on_progress, control, execution)
    return compiled, dataset, result
