"""Execution settings of a run: batches per graph call and XLA, fixed or measured on the run.

Neither the best block length (``steps_per_execution``) nor whether XLA helps can be
predicted well on a CPU, so ``"auto"`` measures them, on the run itself: because a block's
length is an argument of the traced step (``engine.train.execution``), a :class:`BlockPlan`
can run the first batches of a run in blocks of 1, 4, 8, 16 and 32, time each candidate
over a few dozen batches, and keep the fastest for the rest of the run. Those batches are
real training, so calibration costs only the difference between the slower candidates
and the best one (milliseconds), not a separate warm-up. XLA is tried only where a batch
is slow enough for it to matter (``JIT_MIN_BATCH_S``): below that the per-step overhead
dominates and its compile (10-20 s on a 2-core CPU) buys nothing.

The choice is cached per *signature* (graph, batch, data, optimizer, machine) in an
:class:`ExecutionCache`, which the training job keeps as a small JSON file in the project's
runs folder; the next run of the same graph starts at full speed. The trainer writes no
files: it only calls the cache it is given.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import platform
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

SPE_CANDIDATES = (1, 4, 8, 16, 32)
CACHE_FILE = "execution_cache.json"
CACHE_VERSION = 2
WARMUP_CALLS = 2  # untimed calls first: the trace, then the first run's allocations
MIN_BATCHES = 24  # measured batches per candidate (and at least two of its blocks)
TIE = 1.03  # within 3% of the fastest, the smaller block wins (a finer Stop)
SLOWER = 1.05  # a candidate this much slower than the best so far ends the search
JIT_MIN_BATCH_S = 0.02  # XLA is tried only when a batch takes this long without it


@dataclass(frozen=True)
class ExecutionSettings:
    """How a run executes: batches per graph call and XLA.

    ``source``: ``fixed`` (the training settings), ``calibrated`` (measured in this run),
    ``cached`` (measured in an earlier run of the same graph) or ``partial`` (the run ended
    before the measurement did; the best so far). ``timings`` maps a candidate
    (``"spe=8"``, ``"spe=8,jit"``) to measured seconds per batch, or why it was skipped.
    """

    steps_per_execution: int = 1
    jit_compile: bool = False
    source: str = "fixed"
    timings: dict = field(default_factory=dict)

    def describe(self) -> str:
        return f"steps_per_execution={self.steps_per_execution}, jit_compile={self.jit_compile} ({self.source})"

    def plain(self) -> str:
        """For people: "8 batches per call, no XLA (measured on this run)"."""
        why = {"fixed": "set in the training settings", "calibrated": "measured on this run",
               "cached": "measured on an earlier run of this graph",
               "partial": "the best so far: the run ended before the measurement did"}.get(self.source, self.source)
        n = self.steps_per_execution
        return f"{n} batch{'es' if n != 1 else ''} per call, {'XLA' if self.jit_compile else 'no XLA'} ({why})"

    def to_json(self) -> dict:
        return asdict(self)


def label(spe: int, jit: bool) -> str:
    return f"spe={spe}" + (",jit" if jit else "")


class BlockPlan:
    """The length of each block of a run, and the online measurement behind ``"auto"``.

    ``spe``/``jit``: fixed values, or None to measure. ``next_length(remaining)`` gives the
    next block's length (never more than the epoch has left); while ``measuring``, the
    caller times each block and hands the seconds to ``record``. ``use_jit`` says which
    step the next block runs on.
    """

    def __init__(self, spe: int | None, jit: bool | None, try_jit: bool = True, batches_per_epoch: int = 1 << 30,
                 candidates=SPE_CANDIDATES, min_batches: int = MIN_BATCHES):
        self.spe = spe or 1
        self.jit = bool(jit)
        self.timings: dict = {}
        self._jit_open = jit is None and try_jit
        # A fixed length is still measured when XLA is to be tried: its baseline.
        # Lengths beyond an epoch would all run as the same blocks: not candidates.
        fits = [c for c in candidates if c <= batches_per_epoch] or [1]
        self._queue = fits if spe is None else ([spe] if self._jit_open else [])
        self._min = min_batches
        self._warm = WARMUP_CALLS if self._queue or self._jit_open else 0
        self._results: list[tuple[int, float]] = []
        self._acc = [0, 0.0]  # batches, seconds of the candidate being measured
        self._jit_trial = False
        self.calibrated = bool(self._queue)
        self.source: str | None = None  # set by whoever took the lengths from elsewhere (a cache)

    @property
    def measuring(self) -> bool:
        return bool(self._queue) or self._jit_trial

    @property
    def use_jit(self) -> bool:
        return self._jit_trial or self.jit

    @property
    def done(self) -> bool:
        return not self.measuring and self._warm == 0

    def next_length(self, remaining: int) -> int:
        remaining = max(1, remaining)
        if self._warm:
            return 1
        if self._queue:
            return min(self._queue[0], remaining)
        return min(self.spe, remaining)

    def record(self, n: int, seconds: float) -> None:
        """A block of ``n`` batches took ``seconds`` (only while measuring)."""
        if self._warm:
            self._warm -= 1
            return
        if not self.measuring:
            return
        self._acc[0] += n
        self._acc[1] += seconds
        if self._jit_trial:
            if self._acc[0] >= self._min:
                per = self._acc[1] / self._acc[0]
                self.timings[label(self.spe, True)] = round(per, 7)
                self.jit = per * TIE < dict(self._results)[self.spe]
                self._jit_trial = False
            return
        c = self._queue[0]
        if self._acc[0] >= max(self._min, 2 * c):
            per = self._acc[1] / self._acc[0]
            self.timings[label(c, False)] = round(per, 7)
            best = min(t for _, t in self._results) if self._results else math.inf
            self._results.append((c, per))
            self._acc = [0, 0.0]
            self._queue.pop(0)
            if per > best * SLOWER:
                self._queue.clear()
            if not self._queue:
                self._after_spe()

    def _after_spe(self) -> None:
        if self._results:
            best = min(t for _, t in self._results)
            self.spe = min(c for c, t in self._results if t <= best * TIE)
        if not self._jit_open:
            return
        self._jit_open = False
        per = dict(self._results).get(self.spe)
        if per is not None and per < JIT_MIN_BATCH_S:
            self.timings[label(self.spe, True)] = f"skipped: {per * 1000:.1f} ms a batch, overhead dominates"
        elif per is not None:
            self._jit_trial, self._acc, self._warm = True, [0, 0.0], 1  # the first XLA call compiles

    def jit_failed(self, why: str) -> None:
        """XLA could not compile the step: stay without it."""
        self._jit_trial, self.jit, self._warm = False, False, 0
        self.timings[label(self.spe, True)] = f"failed: {why[:120]}"

    def settings(self) -> ExecutionSettings:
        source = self.source or ("fixed" if not self.calibrated else ("calibrated" if self.done else "partial"))
        spe = self.spe
        if self._queue and self._results:  # ended while measuring lengths: the best so far
            spe = min(self._results, key=lambda r: r[1])[0]
        return ExecutionSettings(spe, self.jit, source, dict(self.timings))


class ExecutionCache:
    """Calibrated settings keyed by signature; a JSON file, or memory only when ``path`` is None.

    Thread-safe; a broken or foreign file is treated as empty (it is only a cache).
    """

    def __init__(self, path: str | Path | None = None):
        self.path = Path(path) if path is not None else None
        self._lock = threading.Lock()
        self._entries: dict | None = None

    def _load(self) -> dict:
        if self._entries is None:
            self._entries = {}
            if self.path is not None and self.path.is_file():
                try:
                    data = json.loads(self.path.read_text(encoding="utf-8"))
                    if isinstance(data, dict) and data.get("version") == CACHE_VERSION:
                        self._entries = {k: v for k, v in data.get("entries", {}).items() if isinstance(v, dict)}
                except (OSError, ValueError):
                    pass
        return self._entries

    def get(self, key: str) -> ExecutionSettings | None:
        with self._lock:
            entry = self._load().get(key)
        try:
            spe, jit = int(entry["steps_per_execution"]), entry["jit_compile"]
        except (TypeError, KeyError, ValueError):
            return None
        if not 1 <= spe <= 1024 or not isinstance(jit, bool):
            return None
        return ExecutionSettings(spe, jit, "cached", dict(entry.get("timings", {})))

    def put(self, key: str, settings: ExecutionSettings) -> None:
        with self._lock:
            entries = self._load()
            entries[key] = {"steps_per_execution": settings.steps_per_execution,
                            "jit_compile": settings.jit_compile, "timings": settings.timings,
                            "when": time.strftime("%Y-%m-%d %H:%M:%S")}
            if self.path is None:
                return
            from engine.runs.writer import write_json

            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                write_json(self.path, {"version": CACHE_VERSION, "entries": entries})
            except OSError:
                pass  # a read-only project folder only costs a measurement next time


def signature(model, hooks, batch_size: int, input_shape, n_train: int, optimizer: str) -> str:
    """A short hash of what execution speed depends on: the graph, batch, data and machine."""
    import tensorflow as tf

    layers = []
    for layer in model.layers:
        try:
            cfg = dict(layer.get_config())
        except Exception:  # noqa: BLE001 - a custom layer without get_config: its weights still count
            cfg = {}
        cfg.pop("name", None)
        layers.append([type(layer).__name__, json.dumps(cfg, sort_keys=True, default=str),
                       [list(w.shape) for w in layer.weights]])
    techniques = sorted([uid, h.train_step is not None, h.lr_schedule is not None, h.augment is not None,
                         h.steps_per_batch, h.epoch_divisor] for uid, h in hooks)
    key = {"layers": layers, "techniques": techniques, "batch_size": batch_size,
           "input_shape": list(input_shape), "batches": math.ceil(n_train / batch_size), "optimizer": optimizer,
           "machine": [platform.machine(), os.cpu_count(), tf.__version__]}
    return hashlib.sha256(json.dumps(key, sort_keys=True, default=str).encode()).hexdigest()[:20]


def can_jit(hooks) -> bool:
    """XLA is only tried for Keras's own train step.

    Free adversarial training changes a perturbation variable's shape; excitation dropout
    sets layer attributes from Python inside the step. Neither is verified under XLA, so
    models with a custom train step keep XLA off under ``"auto"``.
    """
    return not any(h.train_step is not None for _, h in hooks)
