"""Analyze for compression: how much each layer can lose, measured before deciding.

Each Dense/Conv2D layer is pruned alone (magnitude, 30/50/70/90%) and, where it saves
parameters, factorized alone at a few energies; the validation accuracy drop is
measured without fine-tuning (a pessimistic figure: fine-tuning recovers some of it).
The recommendation per layer is the most it can take within the tolerance. A job
(``sensitivity_job``), with progress and stop between measurements.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from engine.compress import graph, lowrank
from engine.compress.prune import magnitude_masks
from engine.errors import CompressionError
from engine.jobs import JobControl, OnProgress, Progress, report

SPARSITIES = (0.3, 0.5, 0.7, 0.9)
ENERGIES = (0.5, 0.7, 0.9)


@dataclass
class LayerSensitivity:
    """One layer's measured drops (accuracy points) and what they recommend."""

    uid: str
    title: str
    params: int
    prune: dict = field(default_factory=dict)  # sparsity -> drop in points
    factorize: dict = field(default_factory=dict)  # energy -> {"rank": ..., "params": ..., "drop": ...}
    sparsity: float = 0.0  # recommended
    energy: float | None = None  # recommended (None: do not factorize)

    def to_json(self) -> dict:
        """Plain data for reports and the studio."""
        return {"uid": self.uid, "title": self.title, "params": self.params,
                "prune": {str(k): v for k, v in self.prune.items()},
                "factorize": {str(k): v for k, v in self.factorize.items()},
                "recommended_sparsity": self.sparsity, "recommended_energy": self.energy}


def _val(dataset):
    if len(dataset.x_val):
        return dataset.x_val, dataset.y_val
    return dataset.x_test, dataset.y_test


def _accuracy(model, x, y) -> float:
    pred = np.asarray(model.predict(x, batch_size=512, verbose=0))
    return float(np.mean(np.argmax(pred, -1) == np.asarray(y).reshape(-1)))


def analyze(model, project, dataset, tolerance: float = 0.5, on_progress: OnProgress | None = None,
            control: JobControl | None = None) -> tuple[float, list[LayerSensitivity]]:
    """(baseline validation accuracy, one entry per layer); stops early on ``control``.

    Raises:
        CompressionError: regression data (accuracy drops need classes).
    """
    if dataset.task != "classification":
        raise CompressionError("analyze for compression measures accuracy drops: it needs class labels")
    x, y = _val(dataset)
    base = _accuracy(model, x, y)
    doc = project.document if project is not None else None
    uids = list(graph.compressible(doc)) if doc is not None else \
        [lay.name for lay in model.layers if hasattr(lay, "kernel") and len(lay.kernel.shape) in (2, 4)]
    total = len(uids) * (len(SPARSITIES) + len(ENERGIES))
    done, rows = 0, []
    for uid in uids:
        layer = model.get_layer(uid)
        title = (doc.node(uid).title or doc.spec(uid).title) if doc is not None else type(layer).__name__
        entry = LayerSensitivity(uid, title, int(sum(np.asarray(w).size for w in layer.weights)))
        kernel = np.asarray(layer.kernel)
        for s in SPARSITIES:
            if control is not None and control.should_stop():
                return base, rows
            layer.kernel.assign(kernel * magnitude_masks({uid: kernel}, s)[uid])
            entry.prune[s] = round(100 * (base - _accuracy(model, x, y)), 3)
            layer.kernel.assign(kernel)
            done += 1
            report(on_progress, Progress("analyze", done, total, f"{uid} pruned {s:.0%}"))
        if doc is not None and not graph.feeds_output(doc, uid):
            for e in ENERGIES:
                if control is not None and control.should_stop():
                    return base, rows
                entry.factorize[e] = _factorized(model, project, uid, e, x, y, base)
                done += 1
                report(on_progress, Progress("analyze", done, total, f"{uid} factorized at {e:.0%} energy"))
        entry.sparsity = max([s for s, d in entry.prune.items() if d <= tolerance], default=0.0)
        fits = [e for e, r in entry.factorize.items() if r and r["drop"] <= tolerance]
        entry.energy = min(fits) if fits else None
        rows.append(entry)
    return base, rows


def _factorized(model, project, uid, energy, x, y, base) -> dict | None:
    new, overrides, notes = lowrank.factorize(project, model, {"energy": energy, "layers": [uid]})
    if not overrides:
        return None  # it would not save parameters at this energy
    rebuilt = graph.rebuild(new.document, model, overrides).model
    params = sum(int(np.asarray(w).size) for name in overrides for w in overrides[name])
    return {"params": params, "drop": round(100 * (base - _accuracy(rebuilt, x, y)), 3), "note": notes[0]}


def table(base: float, rows: list[LayerSensitivity]) -> str:
    """The sensitivity table as text (validation accuracy drop in points, no fine-tuning)."""
    head = ["layer", "params"] + [f"prune {s:.0%}" for s in SPARSITIES] + \
        [f"lowrank {e:.0%}" for e in ENERGIES] + ["recommend"]
    lines = [f"baseline validation accuracy {100 * base:.2f}% (drops in points, no fine-tuning)",
             " | ".join(head)]
    for r in rows:
        cells = [f"{r.uid} {r.title}", f"{r.params:,}"] + [f"{r.prune.get(s, float('nan')):+.2f}" for s in SPARSITIES]
        cells += ["-" if not r.factorize.get(e) else f"{r.factorize[e]['drop']:+.2f}" for e in ENERGIES]
        rec = f"prune {r.sparsity:.0%}" + (f", lowrank {r.energy:.0%}" if r.energy else "")
        lines.append(" | ".join(cells + [rec]))
    return "\n".join(lines)


def sensitivity_job(source_path, options: dict | None = None, on_progress: OnProgress | None = None,
                    control: JobControl | None = None) -> dict:
    """The job: load a run or model file and its data, analyze, return plain data."""
    from engine.build.modelio import load_model
    from engine.compress.context import fits_model
    from engine.compress.job import load_inputs

    options = dict(options or {})
    source, project, dataset, _ = load_inputs(source_path, options.get("data"))
    model = load_model(source.model_path)
    fits_model(dataset, model)
    base, rows = analyze(model, project, dataset, float(options.get("tolerance", 0.5)), on_progress, control)
    return {"baseline_accuracy": base, "layers": [r.to_json() for r in rows], "table": table(base, rows),
            "stopped": bool(control is not None and control.stopped)}
