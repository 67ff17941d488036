"""``pba_search``: search a PBA schedule for a project's images with Population Based Training.

The population trains the project's model (its own graph, loss, optimizer and techniques)
on Ray Tune, one epoch a Tune iteration, each member with its own seed and current policy
(:mod:`engine.experiments.pba_policy`). Every ``interval`` epochs Ray's PBT scheduler
ranks the members by validation accuracy; the bottom ``quantile`` copy a top member's
checkpoint (weights, optimizer state, and the history of policies it trained with) and
explore its policy by the paper's rule. ``synch=True``: members meet at each interval, so
the ranking compares equal epochs. A population of 2 or 3 needs a larger quantile than
PBT's 0.25, or nobody is ever in the bottom quantile (``quantile_for``).

The best member's history is written as ``DIR/schedule.json`` (what ``paper.pba``'s
``schedule_file`` reads), drawn as ``DIR/schedule.png``; ``DIR/search.json`` records the
settings, every member's last accuracy and how many exploits happened; Ray's own trial
folders are under ``DIR/ray``. Ray is imported only here and in the Ray runner.
"""
from __future__ import annotations

import json
import logging
import random
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from engine.experiments.pba_policy import explore, extend_history, initial_policy, schedule_keyframes
from engine.experiments.spec import SpecError
from engine.jobs import JobControl, OnProgress, Progress
from engine.model.project import Project, dumps

MAX_POPULATION = 64


@dataclass(frozen=True)
class SearchSettings:
    population: int = 16  # the paper's 16 members
    epochs: int = 10
    interval: int = 3  # the paper's explore/exploit every 3 epochs
    seed: int = 0
    address: str = "local"  # "local": a private local Ray; else ray://HOST:PORT or auto

    def checked(self) -> SearchSettings:
        for name, value, lo, hi in (("population", self.population, 2, MAX_POPULATION),
                                    ("epochs", self.epochs, 1, 10_000), ("interval", self.interval, 1, 10_000)):
            if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
                raise SpecError(f"Expected {lo} <= {name} <= {hi}. Received: {name}={value!r}")
        return self


@dataclass
class SearchResult:
    keyframes: list[dict]
    best_member: int
    best_accuracy: float
    members: dict = field(default_factory=dict)  # member -> last validation accuracy
    perturbations: int = 0
    stopped: bool = False
    out: Path | None = None


def quantile_for(population: int) -> float:
    """PBT's bottom fraction: 0.25 as in Ray, but at least one member (1 of 2 or 3 as well)."""
    return min(0.5, max(0.25, 1.0 / population))


def _prepare(text: str, project_path: str | None, seed: int):
    """(compiled model, dataset, training config, fill) for one member, the data checked for PBA."""
    from engine.build.backend import import_keras_quietly

    import_keras_quietly()
    import keras
    import numpy as np

    from blocks.paper.pba import PbaAugmenter, Schedule
    from blocks.registry import default_registry
    from engine.build.compiler import compile_document
    from engine.model.project import parse_project
    from engine.train.trainer import prepare_model
    from engine.train.workflow import load_data, plan_run

    project = parse_project(text, default_registry(), source="pba search")
    project.path = Path(project_path) if project_path else None
    plan = plan_run(project, seed=seed)
    dataset = load_data(plan)
    keras.utils.set_random_seed(seed)
    compiled = compile_document(project.document)
    prepare_model(compiled, dataset, plan.train_config)
    fills = [n.params.get("fill", "mean") for n in project.document.nodes.values() if n.block == "paper.pba"]
    fill = fills[0] if fills else "mean"
    try:  # the block's own checks: images with 1 or 3 channels in [0, 1]
        PbaAugmenter(Schedule(()), fill)(dataset.x_train[:2], 0, np.random.default_rng(0))
    except ValueError as exc:
        raise SpecError(f"PBA search on {dataset.name}: {exc}") from None
    return compiled, dataset, plan.train_config, fill


def member_index(trial_id: str) -> int:
    """The member's number, from its Tune trial id (``<experiment>_<00003>``).

    Not from its config: an exploiting member takes the config of the member it copies.
    """
    tail = str(trial_id).rsplit("_", 1)[-1]
    return int(tail) if tail.isdigit() else abs(hash(trial_id)) % 10_000


def member(config: dict, text: str = "", project_path: str | None = None, epochs: int = 1, seed: int = 0) -> None:
    """One population member, run by Ray Tune (a function trainable): an epoch per report."""
    import numpy as np

    from engine.experiments.worker import limit_threads

    limit_threads(1)  # one core a member (Ray gives each one CPU)
    from ray import tune

    from blocks.paper.pba import PbaAugmenter, Schedule
    from engine.train.augmented import augmented_batches

    index = member_index(tune.get_context().get_trial_id())
    compiled, dataset, cfg, fill = _prepare(text, project_path, seed + index)
    model = compiled.model
    state = {"epoch": 0, "history": []}
    checkpoint = tune.get_checkpoint()
    if checkpoint is not None:
        with checkpoint.as_directory() as folder:
            state = json.loads((Path(folder) / "state.json").read_text(encoding="utf-8"))
            with np.load(Path(folder) / "weights.npz") as f:
                model.set_weights([f[f"arr_{i}"] for i in range(len(f.files))])
            with np.load(Path(folder) / "optimizer.npz") as f:
                model.optimizer.build(model.trainable_variables)
                for var, i in zip(model.optimizer.variables, range(len(f.files)), strict=False):
                    var.assign(f[f"arr_{i}"])
    policy = [int(v) for v in config["policy"]]
    history = extend_history(state["history"], state["epoch"], policy)
    augment = PbaAugmenter(Schedule(((0, tuple(policy)),)), fill)
    for epoch in range(state["epoch"], epochs):
        batches = augmented_batches(dataset.x_train, dataset.y_train, cfg.batch_size, [augment],
                                    (seed + index) * 100_003 + epoch, lambda: 0)
        model.fit(batches, epochs=1, verbose=0)
        x_val, y_val = (dataset.x_val, dataset.y_val) if len(dataset.x_val) else (dataset.x_test, dataset.y_test)
        accuracy = float(model.evaluate(x_val, y_val, batch_size=cfg.batch_size, verbose=0,
                                        return_dict=True).get("accuracy", float("nan")))
        with tempfile.TemporaryDirectory() as folder:
            np.savez(Path(folder) / "weights.npz", *model.get_weights())
            np.savez(Path(folder) / "optimizer.npz", *[v.numpy() for v in model.optimizer.variables])
            (Path(folder) / "state.json").write_text(json.dumps({"epoch": epoch + 1, "history": history}))
            tune.report({"val_acc": accuracy, "epoch": epoch + 1, "member": index},
                        checkpoint=tune.Checkpoint.from_directory(folder))


def pba_search(project: Project, settings: SearchSettings, out: str | Path, on_progress: OnProgress | None = None,
               control: JobControl | None = None) -> SearchResult:
    """Run the search; writes schedule.json, schedule.png and search.json into ``out``."""
    from engine.experiments.runners import check_address, import_ray, start_ray
    from engine.experiments.schedule_plot import draw_schedule
    from engine.runs.writer import write_json

    settings = settings.checked()
    check_address(settings.address)  # a cluster that does not answer is known before any training
    out = Path(out).resolve()
    text = dumps(project)
    project_path = str(project.path) if project.path else None
    _prepare(text, project_path, settings.seed)  # graph and data checked here, before Ray starts
    ray = import_ray()
    start_ray(ray, settings.address)
    quiet = logging.getLogger("ray.tune")
    level = quiet.level
    quiet.setLevel(logging.WARNING)  # PBT logs every exploit at INFO; search.json records them
    try:
        grid, pbt, members = _fit(text, project_path, settings, out, on_progress, control)
    finally:
        quiet.setLevel(level)
        ray.shutdown()
    # A member exploited at the last interval holds the copied member's result and checkpoint.
    best, best_acc, history = -1, float("-inf"), []
    for result in grid:
        if result.metrics and "val_acc" in result.metrics and result.checkpoint is not None:
            if float(result.metrics["val_acc"]) > best_acc:
                with result.checkpoint.as_directory() as folder:
                    history = json.loads((Path(folder) / "state.json").read_text(encoding="utf-8"))["history"]
                best, best_acc = int(result.metrics["member"]), float(result.metrics["val_acc"])
    stopped = control is not None and control.should_stop()
    if best < 0:
        raise SpecError("the PBA search finished no epoch; nothing to write")
    note = (f"PBA search: population {settings.population}, {settings.epochs} epochs, explore every "
            f"{settings.interval}; member {best} ended at {100 * best_acc:.2f}% validation accuracy")
    keyframes = schedule_keyframes(history, note)
    from blocks.paper.pba import parse_schedule

    parse_schedule(keyframes, "the searched schedule")  # the block's own check, before it is written
    write_json(out / "schedule.json", keyframes)
    draw_schedule(keyframes, settings.epochs, out / "schedule.png",
                  f"PBA schedule: member {best}, {100 * best_acc:.2f}% val")
    result = SearchResult(keyframes, best, best_acc, dict(sorted(members.items())),
                          int(getattr(pbt, "_num_perturbations", 0)), stopped, out)
    write_json(out / "search.json", {"population": settings.population, "epochs": settings.epochs,
                                     "interval": settings.interval, "seed": settings.seed,
                                     "quantile_fraction": quantile_for(settings.population),
                                     "best_member": best, "best_val_accuracy": best_acc,
                                     "members": {str(k): v for k, v in result.members.items()},
                                     "perturbations": result.perturbations, "stopped": stopped})
    return result


def _fit(text, project_path, settings: SearchSettings, out: Path, on_progress, control):
    from ray import tune
    from ray.tune.schedulers import PopulationBasedTraining

    rng = random.Random(settings.seed)

    def explore_config(config: dict) -> dict:
        return {**config, "policy": explore(config["policy"], rng)}

    pbt = PopulationBasedTraining(time_attr="training_iteration", perturbation_interval=settings.interval,
                                  custom_explore_fn=explore_config,
                                  quantile_fraction=quantile_for(settings.population), synch=True)
    members: dict[int, float] = {}  # member -> its last reported validation accuracy
    token = id(members)
    _LISTENERS[token] = (on_progress, control, members, settings.population * settings.epochs)
    report, stop_on_request = _make_callbacks()
    trainable = tune.with_resources(tune.with_parameters(member, text=text, project_path=project_path,
                                                         epochs=settings.epochs, seed=settings.seed), {"cpu": 1})
    tuner = tune.Tuner(
        trainable,
        param_space={"policy": initial_policy()},
        tune_config=tune.TuneConfig(scheduler=pbt, metric="val_acc", mode="max", num_samples=settings.population,
                                    reuse_actors=True),  # a restart keeps its process and TensorFlow
        run_config=tune.RunConfig(name="pba", storage_path=str(out / "ray"), verbose=0, callbacks=[report(token)],
                                  stop=stop_on_request(token), log_to_file=True,
                                  checkpoint_config=tune.CheckpointConfig(num_to_keep=4)))
    try:
        grid = tuner.fit()
        members.pop("reports", None)
        return grid, pbt, members
    finally:
        _LISTENERS.pop(token, None)


# Tune pickles its callbacks and stoppers with the experiment's state: they hold a token, and
# the (unpicklable) progress function and stop control stay here, in the driver process.
_LISTENERS: dict[int, tuple] = {}


def _report(token: int, result: dict) -> None:
    on_progress, _control, members, total = _LISTENERS.get(token, (None, None, {}, 1))
    members[int(result.get("member", -1))] = float(result.get("val_acc", float("nan")))
    members["reports"] = members.get("reports", 0) + 1
    if on_progress is not None:
        on_progress(Progress("pba", min(total, members["reports"]), total,
                             f"member {result.get('member')}: epoch {result.get('epoch')}, "
                             f"{100 * result.get('val_acc', float('nan')):.2f}% val",
                             {"result": {k: result.get(k) for k in ("member", "epoch", "val_acc")}}))


def _stop_requested(token: int) -> bool:
    control = _LISTENERS.get(token, (None, None))[1]
    return control is not None and control.should_stop()


def _make_callbacks():
    """Tune's callback and stopper classes (defined here: Ray is imported only when a search runs).

    Their methods call module functions only: cloudpickle copies a local class by value,
    and with it any module dict its methods name.
    """
    from ray import tune

    class Report(tune.Callback):
        def __init__(self, token: int):
            self.token = token

        def on_trial_result(self, iteration, trials, trial, result, **info):
            _report(self.token, result)

    class StopOnRequest(tune.Stopper):
        def __init__(self, token: int):
            self.token = token

        def __call__(self, trial_id, result):
            return False

        def stop_all(self):
            return _stop_requested(self.token)

    return Report, StopOnRequest
