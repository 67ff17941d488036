"""Population Based Augmentation: apply a learned augmentation policy schedule while training.

Ho, Liang, Stoica, Abbeel & Chen (ICML 2019) search, with Population Based Training, for a
*schedule* of augmentation policies: which operations to apply, how often and how hard,
changing over the epochs. This block applies such a schedule (the search itself is not
part of it). A policy is 60 integers: the 15 operations of :mod:`blocks.rules.pba`, each
twice, each copy a (probability 0..10, magnitude 0..9) pair laid out as in the reference
code (:func:`blocks.rules.pba.policy_entries`). Every training image gets 0, 1 or 2
operations (probability 0.2 / 0.3 / 0.5), drawn by walking the shuffled entries.

A schedule file is JSON: ``[{"epoch": 0, "policy": [60 ints]}, ...]`` (an optional
``"note"`` string per keyframe is allowed). From each keyframe's epoch (counted from 0)
until the next one, its policy applies; before the first keyframe nothing is applied.
The file is read as data only and checked on load; every problem names the file.

The built-in schedule (``pba_default_schedule.json``) follows what the paper reports of
its learned schedules: the search starts from the all-zero policy and probabilities and
magnitudes grow over training. Keyframes at epochs 0, 3, 6, 9, 12 and 15 go from no
augmentation to a final policy where geometric operations (Rotate, Shear, Translate)
fire with probability 0.4 at magnitude 5, photometric ones and Cutout with 0.3, Invert
rarely (0.1, since it swaps ink and paper), and each second copy is rarer (0.2) but two
magnitude steps stronger. Stopping at mid magnitudes keeps small images (8x8 digits)
recognizable; the reference's pixel amounts are rescaled for them (see blocks.rules.pba).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from blocks.rules.pba import MAX_MAGNITUDE, MAX_PROBABILITY, OP_NAMES, POLICY_LENGTH, apply_policy, policy_entries
from blocks.spec import BlockSpec, ParamError, ParamSpec, TrainingHooks

DEFAULT_SCHEDULE = Path(__file__).with_name("pba_default_schedule.json")
FILLS = ("mean", "zero")
_KEYS = {"epoch", "policy", "note"}


@dataclass(frozen=True)
class Schedule:
    """Keyframes ``(epoch, policy)`` sorted by epoch; a policy is a tuple of 60 ints."""

    keyframes: tuple

    def policy_at(self, epoch: int) -> tuple | None:
        """The policy of the latest keyframe at or before ``epoch`` (None before the first)."""
        current = None
        for start, policy in self.keyframes:
            if start > epoch:
                break
            current = policy
        return current


def _describe(index: int) -> str:
    half = POLICY_LENGTH // 2
    copy, k = divmod(index, half)
    what = "probability" if k % 2 == 0 else "magnitude"
    return f"the {what} of {OP_NAMES[k // 2]} ({'first' if copy == 0 else 'second'} copy)"


def validate_policy(policy, where: str = "policy") -> tuple:
    """Check a policy: 60 integers, probabilities (even positions) 0..10, magnitudes 0..9.

    Raises:
        ParamError: naming ``where``, the position and what it means.
    """
    if not isinstance(policy, (list, tuple)) or len(policy) != POLICY_LENGTH:
        size = f"{len(policy)} values" if isinstance(policy, (list, tuple)) else type(policy).__name__
        raise ParamError("schedule_file", f"{where}: expected a list of {POLICY_LENGTH} integers "
                                          f"(15 operations x 2 copies x (probability, magnitude)); found {size}")
    for i, v in enumerate(policy):
        top = MAX_PROBABILITY if i % 2 == 0 else MAX_MAGNITUDE
        if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= top:
            raise ParamError("schedule_file", f"{where}: policy[{i}] is {_describe(i)} and must be an "
                                              f"integer 0..{top}; found {v!r}")
    return tuple(policy)


def parse_schedule(data, source: str) -> Schedule:
    """Validate decoded JSON ``data`` into a :class:`Schedule`; errors start with ``source``."""
    def fail(msg):
        return ParamError("schedule_file", f"{source}: {msg}")
    if not isinstance(data, list) or not data:
        raise fail('expected a non-empty JSON list of {"epoch": int, "policy": [60 ints]} keyframes')
    frames = {}
    for n, item in enumerate(data):
        if not isinstance(item, dict):
            raise fail(f"keyframe {n} must be an object with 'epoch' and 'policy'; found {item!r:.60}")
        if {"epoch", "policy"} - set(item) or set(item) - _KEYS:
            raise fail(f"keyframe {n} needs exactly the keys 'epoch' and 'policy' (and optionally 'note'); "
                       f"found {sorted(item)}")
        epoch = item["epoch"]
        if isinstance(epoch, bool) or not isinstance(epoch, int) or epoch < 0:
            raise fail(f"keyframe {n}: epoch must be an integer >= 0 (epochs count from 0); found {epoch!r}")
        if epoch in frames:
            raise fail(f"keyframe {n}: epoch {epoch} appears twice")
        frames[epoch] = validate_policy(item["policy"], f"{source}: keyframe {n} (epoch {epoch})")
    return Schedule(tuple(sorted(frames.items())))


@lru_cache(maxsize=16)
def _load_cached(path: str, stamp: tuple) -> Schedule:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ParamError("schedule_file", f"schedule file {path}: cannot read it ({exc})") from None
    try:
        data = json.loads(text)  # data only: nothing in the file is evaluated
    except (json.JSONDecodeError, RecursionError) as exc:
        raise ParamError("schedule_file", f"schedule file {path}: not valid JSON ({exc})") from None
    return parse_schedule(data, f"schedule file {path}")


def load_schedule(schedule_file: str = "") -> Schedule:
    """Read and check a schedule file (``""``: the built-in default); re-read when it changes."""
    path = Path(schedule_file).expanduser() if schedule_file else DEFAULT_SCHEDULE
    try:
        st = path.stat()
    except OSError:
        raise ParamError("schedule_file", f"schedule file {path}: no such file (give an absolute path, or "
                                          "one relative to the folder Sprout was started from)") from None
    if not path.is_file():
        raise ParamError("schedule_file", f"schedule file {path}: is a folder, not a JSON file")
    return _load_cached(str(path), (st.st_mtime_ns, st.st_size))


class PbaAugmenter:
    """The ``augment`` hook: ``(x_batch, epoch, rng) -> x_batch`` for float images in [0, 1]."""

    def __init__(self, schedule: Schedule, fill: str = "mean"):
        self.schedule = schedule
        self.fill = fill
        self.applied: dict[str, int] = {}  # operation name -> times applied (for tests and curiosity)

    def __call__(self, x: np.ndarray, epoch: int, rng: np.random.Generator) -> np.ndarray:
        x = np.asarray(x)
        if x.ndim != 4 or x.shape[-1] not in (1, 3):
            raise ValueError("paper.pba augments images: it needs training samples of shape (height, width, 1) "
                             f"or (height, width, 3); received samples of shape {tuple(x.shape[1:])}. "
                             "Remove the PBA node for non-image data.")
        lo, hi = (float(x.min()), float(x.max())) if x.size else (0.0, 1.0)
        if lo < -1e-6 or hi > 1 + 1e-6:
            raise ValueError(f"paper.pba needs pixel values in [0, 1]; this training batch spans "
                             f"[{lo:.4g}, {hi:.4g}]. Scale the images to [0, 1] (e.g. divide by 255).")
        policy = self.schedule.policy_at(epoch)
        if policy is None or not any(policy[0::2]):
            return x  # no operation can fire: skip the uint8 round trip
        entries = policy_entries(policy)
        pixels = np.rint(np.clip(x, 0.0, 1.0) * 255.0).astype(np.uint8)
        mean = np.rint(pixels.mean(axis=(0, 1, 2))).astype(int) if self.fill == "mean" else np.zeros(x.shape[-1], int)
        fill = int(mean[0]) if x.shape[-1] == 1 else tuple(int(v) for v in mean)
        out = np.array(x, dtype=np.result_type(x.dtype, np.float32), copy=True)
        for i in range(len(x)):
            img, names = apply_policy(pixels[i], entries, rng, fill)
            if names:  # untouched images keep their exact float values
                out[i] = img.astype(out.dtype) / 255.0
                for name in names:
                    self.applied[name] = self.applied.get(name, 0) + 1
        return out


def _training(params) -> TrainingHooks:
    return TrainingHooks(augment=PbaAugmenter(load_schedule(params["schedule_file"]), params["fill"]))


def _infer(params, in_shapes):
    load_schedule(params["schedule_file"])  # a bad file shows on the node at once, not mid-training
    return []


SPEC = BlockSpec(
    id="paper.pba", role="technique", title="PBA augmentation", category="Paper techniques",
    doc="Applies a Population Based Augmentation schedule to the training images: each epoch uses a "
        "policy of 15 image operations (AutoContrast, Equalize, Invert, Rotate, Posterize, Solarize, Color, "
        "Contrast, Brightness, Sharpness, ShearX/Y, TranslateX/Y, Cutout), each present twice with a "
        "probability (0..10 tenths) and a magnitude (0..9). Every image gets 0, 1 or 2 of them (20% / 30% / "
        "50%). Place the node anywhere, without links: only training batches are augmented, validation and "
        "test data never. Needs images with 1 or 3 channels and values in [0, 1]. The built-in schedule "
        "starts with no augmentation and ramps probabilities and magnitudes up until epoch 15, like the "
        "schedules the paper learned; give your own as a JSON file of {\"epoch\", \"policy\": [60 ints]} "
        "keyframes. Use it when a small image dataset over-fits.",
    inputs=(), outputs=(),
    params=(ParamSpec("schedule_file", "str", "", "JSON schedule file: a list of {\"epoch\": int, \"policy\": "
                      "[60 ints]}. Empty: the built-in ramp-up schedule."),
            ParamSpec("fill", "choice", "mean", "Colour of pixels that Rotate/Shear/Translate/Cutout leave "
                      "empty: 'mean' (the batch's mean colour, as the reference's dataset mean) or 'zero'.",
                      choices=FILLS)),
    infer_shape=_infer, build=None, training=_training,
    pros="Learns a whole augmentation schedule with about a thousandth of AutoAugment's compute and memory; "
         "the schedule (easy augmentation early, stronger later) transfers to larger models.",
    cons="Not guaranteed to find the best policy, and little tested beyond CIFAR/SVHN; the schedule found "
         "for one dataset and epoch count may not suit another. Here only the schedule is applied, not searched.",
    reference="Ho, Liang, Stoica, Abbeel & Chen, \"Population Based Augmentation: Efficient Learning of "
              "Augmentation Policy Schedules\", ICML 2019.",
)
