"""An ablation experiment: factors x seeds at a fixed training budget, and its runs.

Saved in the project's ``experiments`` section (``{"version": 1, "vary": [...], "seeds": K,
"epochs": N}``), so the studio and ``main.py ablate`` read the same definition. Each
(variant, seed) pair is one run with an *identity*: a hash of the variant's graph, data,
training settings, seed and epochs. A run folder whose marker carries that identity is
finished and is never trained again, which is what makes an interrupted experiment resume.
"""
from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass, field

from engine.experiments.spec import Change, Factor, SpecError, apply, parse_factor, variant_label, variants
from engine.model.project import Project, dumps, parse_project

SECTION = "experiments"
VERSION = 1
MAX_SEEDS = 100
MAX_RUNS = 1000


@dataclass(frozen=True)
class Experiment:
    """``vary``: the ``--vary`` texts; ``seeds``: how many (0..seeds-1); ``epochs``: each run's budget."""

    vary: tuple[str, ...]
    seeds: int = 3
    epochs: int = 5

    def to_json(self) -> dict:
        return {"version": VERSION, "vary": list(self.vary), "seeds": self.seeds, "epochs": self.epochs}

    @classmethod
    def from_json(cls, data, where: str = "experiments section") -> Experiment:
        if not isinstance(data, dict) or data.get("version") != VERSION:
            raise SpecError(f"{where}: expected {{\"version\": {VERSION}, \"vary\": [...], ...}}")
        vary = data.get("vary", [])
        if not isinstance(vary, list) or not all(isinstance(v, str) for v in vary):
            raise SpecError(f"{where}: \"vary\" must be a list of spec strings")
        return cls(tuple(vary), data.get("seeds", 3), data.get("epochs", 5)).checked()

    def checked(self) -> Experiment:
        for name, value, hi in (("seeds", self.seeds, MAX_SEEDS), ("epochs", self.epochs, 100_000)):
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= hi:
                raise SpecError(f"Expected 1 <= {name} <= {hi}. Received: {name}={value!r}")
        return self


@dataclass(frozen=True)
class Variant:
    """One combination of levels, with the project text it trains."""

    index: int
    label: str
    changes: tuple[Change, ...]
    text: str  # the variant's project file text (runs cleared)


@dataclass(frozen=True)
class Task:
    """One run of the experiment: a variant at a seed."""

    variant: Variant
    seed: int
    epochs: int
    identity: str = field(default="")

    @property
    def folder_name(self) -> str:
        return f"v{self.variant.index:02d}-s{self.seed}-{self.identity[:8]}"


def saved_experiment(project: Project) -> Experiment | None:
    data = project.extra.get(SECTION)
    return None if data is None else Experiment.from_json(data, f"{project.path or 'project'}: experiments section")


def store_experiment(project: Project, experiment: Experiment) -> None:
    project.extra[SECTION] = experiment.to_json()


def build_variants(project: Project, experiment: Experiment) -> list[Variant]:
    """Every variant's project text; a spec that does not apply raises :class:`SpecError` (one line)."""
    factors: list[Factor] = [parse_factor(text) for text in experiment.vary]
    spec_of = {level: f.text for f in factors for level in f.levels}
    grid = variants(factors)
    if len(grid) * experiment.seeds > MAX_RUNS:
        raise SpecError(f"{len(grid)} variants x {experiment.seeds} seeds = {len(grid) * experiment.seeds} runs; "
                        f"at most {MAX_RUNS}")
    base = dumps(project)
    out = []
    for i, changes in enumerate(grid):
        copy_ = parse_project(base, project.document.registry, source="experiment variant")
        copy_.path, copy_.runs = project.path, []
        copy_.extra = {k: v for k, v in copy.deepcopy(project.extra).items() if k != SECTION}
        apply(copy_.document, changes, spec_of)
        out.append(Variant(i, variant_label(changes), changes, dumps(copy_)))
    labels = [v.label for v in out]
    if len(set(labels)) != len(labels):
        raise SpecError("two --vary specs give the same variant twice; drop one")
    return out


def apply_variant(doc, experiment: Experiment, label: str) -> None:
    """Make ``doc`` the variant called ``label`` (e.g. the winner); SpecError if there is none."""
    factors = [parse_factor(text) for text in experiment.vary]
    spec_of = {level: f.text for f in factors for level in f.levels}
    for changes in variants(factors):
        if variant_label(changes) == label:
            apply(doc, changes, spec_of)
            return
    raise SpecError(f"the experiment has no variant {label!r}")


def tasks(variants_: list[Variant], experiment: Experiment) -> list[Task]:
    """Every (variant, seed) pair, seed-major (each variant's first seed first: early rows compare)."""
    out = []
    for seed in range(experiment.seeds):
        for v in variants_:
            out.append(Task(v, seed, experiment.epochs, identity(v.text, seed, experiment.epochs)))
    return out


def identity(text: str, seed: int, epochs: int) -> str:
    data = json.loads(text)
    key = {k: data.get(k) for k in ("nodes", "links", "data", "training")}
    key["nodes"] = [{k: n.get(k) for k in ("id", "block", "params")} for n in key["nodes"] or []]
    key.update(seed=seed, epochs=epochs)
    return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:20]


# Ablation runs execute in fixed blocks: "auto" measures block lengths on each run, and a
# run's numbers must not depend on how fast its machine was at that moment (the same table
# locally, in a pool or on Ray). 16 is what calibration chose for digits_cnn and the LSTM.
ABLATION_BLOCK = 16


def run_text(task: Task) -> str:
    """The variant's project text with the run's seed and epochs set (and fixed execution blocks)."""
    data = json.loads(task.variant.text)
    training = {**data.get("training", {}), "seed": task.seed, "epochs": task.epochs}
    if training.get("steps_per_execution", "auto") == "auto":
        training["steps_per_execution"] = ABLATION_BLOCK
    if training.get("jit_compile", "auto") == "auto":
        training["jit_compile"] = False
    data["training"] = training
    return json.dumps(data, indent=2)
