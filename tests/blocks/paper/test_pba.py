"""Population Based Augmentation (Ho et al., ICML 2019): policy layout, sampling, operations, schedules."""
from __future__ import annotations

import json
import math
from dataclasses import replace

import numpy as np
import pytest
from PIL import Image, ImageOps

from blocks import default_registry
from blocks.paper.pba import SPEC, PbaAugmenter, Schedule, load_schedule, parse_schedule, validate_policy
from blocks.rules.pba import (
    OP_NAMES,
    OPS,
    POLICY_LENGTH,
    apply_policy,
    cutout_side,
    enhance_factor,
    policy_entries,
    posterize_bits,
    rotate_degrees,
    shear_amount,
    solarize_threshold,
    translate_pixels,
)
from blocks.spec import ParamError


def _policy(**probs) -> list[int]:
    """A policy where only the named first-copy ops fire: ``Invert=(10, 0)`` sets (probability, magnitude)."""
    pol = [0] * POLICY_LENGTH
    for name, (p, m) in probs.items():
        k = OP_NAMES.index(name)
        pol[2 * k], pol[2 * k + 1] = p, m
    return pol


def _augmenter(policy, fill="mean") -> PbaAugmenter:
    return PbaAugmenter(Schedule(((0, tuple(policy)),)), fill)


def _write(tmp_path, frames, name="schedule.json"):
    path = tmp_path / name
    path.write_text(json.dumps(frames) if not isinstance(frames, str) else frames, encoding="utf-8")
    return str(path)


# ---- block and policy layout -------------------------------------------------------------------

def test_registered_as_standalone_technique_with_reference():
    spec = default_registry().get("paper.pba")
    assert spec is SPEC and spec.category == "Paper techniques"
    assert spec.inputs == () and spec.outputs == () and spec.build is None
    assert "Ho" in spec.reference and "2019" in spec.reference and spec.pros and spec.cons
    hooks = spec.training(spec.defaults())
    assert isinstance(hooks.augment, PbaAugmenter) and hooks.lr_schedule is None and hooks.train_step is None
    assert spec.infer_shape(spec.defaults(), []) == []


def test_policy_layout_follows_the_reference_parse_policy():
    """Each half of the 60 ints is (prob, mag) per op in HP_TRANSFORMS order; halves are the two copies."""
    assert len(OP_NAMES) == 15 and POLICY_LENGTH == 60
    pol = list(range(60))
    pol = [v % 11 if i % 2 == 0 else v % 10 for i, v in enumerate(pol)]
    entries = policy_entries(pol)
    assert len(entries) == 30
    assert [e[0] for e in entries] == list(OP_NAMES) * 2
    assert entries[3] == ("Rotate", pol[6], pol[7])
    assert entries[15 + 14] == ("Cutout", pol[58], pol[59])


@pytest.mark.parametrize("policy, message", [
    ([0] * 59, "expected a list of 60 integers.*found 59 values"),
    ("0" * 60, "found str"),
    ([0] * 6 + [11] + [0] * 53, r"policy\[6\] is the probability of Rotate \(first copy\).*0\.\.10; found 11"),
    ([0] * 37 + [10] + [0] * 22, r"policy\[37\] is the magnitude of Rotate \(second copy\).*0\.\.9; found 10"),
    ([0] * 4 + [-1] + [0] * 55, r"policy\[4\] is the probability of Invert.*found -1"),
    ([0] * 59 + [2.5], r"policy\[59\] is the magnitude of Cutout \(second copy\).*found 2.5"),
    ([True] + [0] * 59, r"policy\[0\] is the probability of AutoContrast.*found True"),
])
def test_bad_policies_are_rejected_with_clear_messages(policy, message):
    with pytest.raises(ParamError, match=message):
        validate_policy(policy)
    assert validate_policy([10, 9] * 30) == tuple([10, 9] * 30)


# ---- how many operations, and which ---------------------------------------------------------------

def _counts(policy, n, seed=0):
    rng = np.random.default_rng(seed)
    img = (np.arange(16, dtype=np.uint8).reshape(4, 4, 1) * 16)
    entries = policy_entries(policy)
    return np.bincount([len(apply_policy(img, entries, rng, 0)[1]) for _ in range(n)], minlength=3)


def test_count_distribution_is_point_two_three_five():
    """With every entry certain to fire, the number applied is the drawn limit: 0/1/2 w.p. 0.2/0.3/0.5."""
    n = 10_000
    seen = _counts([10, 5] * 30, n)
    expected = n * np.array([0.2, 0.3, 0.5])
    chi2 = float(((seen - expected) ** 2 / expected).sum())
    assert len(seen) == 3 and chi2 < 13.82, (seen, chi2)  # chi-square, 2 dof, p = 0.001


def test_walk_stops_early_when_entries_run_out():
    """One certain entry: 20% of images get nothing and 80% exactly one op (never two)."""
    seen = _counts(_policy(Invert=(10, 0)), 4000, seed=1)
    assert len(seen) == 3 and seen[2] == 0
    assert abs(seen[1] / 4000 - 0.8) < 4 * math.sqrt(0.16 / 4000)
    half = _counts(_policy(Invert=(5, 0)), 4000, seed=2)  # P(applied) = 0.8 * 0.5
    assert abs(half[1] / 4000 - 0.4) < 4 * math.sqrt(0.24 / 4000)


def test_probability_zero_never_and_ten_always_applies():
    x = np.random.default_rng(3).integers(0, 256, size=(200, 6, 6, 1)).astype("float32") / 255.0
    rng = np.random.default_rng(4)
    none = _augmenter([0, 9] * 30)
    assert np.array_equal(none(x, 0, rng), x) and none.applied == {}
    always = _augmenter(_policy(Invert=(10, 0)))
    y = always(x, 0, rng)
    inverted = np.all(np.isclose(y, 1 - x, atol=1e-6), axis=(1, 2, 3))
    untouched = np.all(y == x, axis=(1, 2, 3))
    assert np.all(inverted | untouched)
    assert inverted.sum() == always.applied["Invert"] and 0.7 < inverted.mean() < 0.9  # 1 - P(count = 0)


# ---- the operations and their magnitudes -----------------------------------------------------------

def test_magnitude_mappings_match_the_reference():
    m = range(10)
    assert [rotate_degrees(i) for i in m] == [0, 3, 6, 9, 12, 15, 18, 21, 24, 27]
    assert [posterize_bits(i) for i in m] == [4, 4, 4, 3, 3, 2, 2, 2, 1, 1]
    assert [solarize_threshold(i) for i in m] == [256 - int(i * 25.6) for i in m]
    assert solarize_threshold(9) == 26
    np.testing.assert_allclose([enhance_factor(i) for i in m], [0.1 + 0.18 * i for i in m])
    np.testing.assert_allclose([shear_amount(i) for i in m], [0.03 * i for i in m])
    assert [translate_pixels(i, 32) for i in m] == list(m)  # the reference's pixels on 32x32
    assert [translate_pixels(i, 8) for i in m] == [0, 0, 1, 1, 1, 1, 2, 2, 2, 2]  # 8/32 of it, half up
    assert [cutout_side(i, 32, 32) for i in m] == [2 * i for i in m]  # the reference's 2m
    assert [cutout_side(i, 8, 8) for i in m] == [0, 0, 2, 2, 2, 2, 4, 4, 4, 4]


def _blob(size, cy, cx, mode="L"):
    arr = np.zeros((size, size), np.uint8)
    arr[cy - 1:cy + 2, cx - 1:cx + 2] = 255
    return Image.fromarray(arr)


def _centroid(img):
    ys, xs = np.nonzero(np.asarray(img))
    return ys.mean(), xs.mean()


def test_rotate_turns_by_the_mapped_angle_either_way():
    """A blob 12 px right of the centre, rotated by magnitude 9, moves through +-27 degrees."""
    seen = set()
    for seed in range(12):
        out = OPS["Rotate"](_blob(33, 16, 28), 9, np.random.default_rng(seed), 0)
        y, x = _centroid(out)
        angle = math.degrees(math.atan2(16 - y, x - 16))  # counter-clockwise on screen is positive
        assert abs(abs(angle) - 27) < 3 and abs(math.hypot(y - 16, x - 16) - 12) < 1
        seen.add(angle > 0)
    assert seen == {True, False}


def test_shear_and_translate_move_pixels_as_mapped():
    line = np.zeros((32, 32), np.uint8)
    line[:, 16] = 255
    for seed in range(6):
        out = np.asarray(OPS["ShearX"](Image.fromarray(line), 9, np.random.default_rng(seed), 0))
        xs = np.array([np.flatnonzero(row).mean() for row in out if row.any()])
        rows = np.array([y for y, row in enumerate(out) if row.any()])
        slope = np.polyfit(rows, xs, 1)[0]  # output x = 16 - s * y
        assert abs(abs(slope) - 0.27) < 0.03
    for size, expected in ((32, 9), (8, 2)):
        shifts = set()
        for seed in range(8):
            img = _blob(size, size // 2, size // 2)
            y0, x0 = _centroid(img)
            y, x = _centroid(OPS["TranslateX"](img, 9, np.random.default_rng(seed), 0))
            shifts.add(round(x - x0))
            assert y == y0
        assert shifts == {expected, -expected}


def test_cutout_fills_a_square_of_the_mapped_size():
    for size, m, side in ((32, 9, 18), (8, 9, 4), (8, 3, 2)):
        biggest = 0
        for seed in range(40):
            img = Image.fromarray(np.full((size, size), 200, np.uint8))
            out = np.asarray(OPS["Cutout"](img, m, np.random.default_rng(seed), 7))
            ys, xs = np.nonzero(out == 7)
            assert set(np.unique(out)) <= {7, 200}
            h, w = ys.max() - ys.min() + 1, xs.max() - xs.min() + 1
            assert len(ys) == h * w and h <= side and w <= side  # one rectangle, clipped at the border
            biggest = max(biggest, h * w)
        assert biggest == side * side
    same = np.full((8, 8), 200, np.uint8)
    assert np.array_equal(np.asarray(OPS["Cutout"](Image.fromarray(same), 1, np.random.default_rng(0), 0)), same)


def test_pixel_operations_follow_their_definitions():
    rng = np.random.default_rng(5)
    arr = rng.integers(0, 256, size=(9, 7), dtype=np.uint8)
    img = Image.fromarray(arr)
    for m in range(10):
        keep = 256 - 2 ** (8 - posterize_bits(m))
        assert np.array_equal(np.asarray(OPS["Posterize"](img, m, rng, 0)), arr & keep)
        thr = solarize_threshold(m)
        assert np.array_equal(np.asarray(OPS["Solarize"](img, m, rng, 0)), np.where(arr >= thr, 255 - arr, arr))
    assert np.array_equal(np.asarray(OPS["Invert"](img, 0, rng, 0)), 255 - arr)
    low = Image.fromarray((50 + arr // 6).astype(np.uint8))  # values 50..92
    stretched = np.asarray(OPS["AutoContrast"](low, 0, rng, 0))
    assert stretched.min() == 0 and stretched.max() == 255
    assert np.ptp(np.asarray(OPS["Equalize"](low, 0, rng, 0))) > 200  # 63 pixels: Pillow alone would not move
    for shape in ((32, 32), (20, 30, 3)):  # where Pillow's own equalize works, ours is identical
        big = Image.fromarray((rng.random(shape) ** 3 * 255).astype(np.uint8))
        assert np.array_equal(np.asarray(OPS["Equalize"](big, 0, rng, 0)), np.asarray(ImageOps.equalize(big)))
    flat = Image.fromarray(np.full((5, 5), 100, np.uint8))
    for m in (0, 9):
        bright = np.asarray(OPS["Brightness"](flat, m, rng, 0)).astype(int)
        assert np.all(np.abs(bright - min(255, 100 * enhance_factor(m))) <= 1)
    red = Image.fromarray(np.dstack([np.full((4, 4), 200, np.uint8), np.zeros((4, 4), np.uint8),
                                     np.zeros((4, 4), np.uint8)]))
    washed = np.asarray(OPS["Color"](red, 0, rng, 0)).astype(int)  # factor 0.1: nearly grey
    assert np.ptp(washed[0, 0]) < 30
    for name in ("Color", "Contrast", "Brightness", "Sharpness"):  # magnitude 5 is factor 1.0: identity
        assert np.array_equal(np.asarray(OPS[name](img, 5, rng, 0)), arr)


@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("name", OP_NAMES)
def test_every_op_works_on_odd_sizes_and_changes_an_image(name, channels):
    rng = np.random.default_rng(6)
    arr = np.zeros((11, 7, channels), np.uint8)
    arr[2:9, 2:5] = rng.integers(60, 200, size=(7, 3, channels))
    changed = False
    for seed in range(10):
        img, applied = apply_policy(arr, policy_entries(_policy(**{name: (10, 9)})), np.random.default_rng(seed), 0)
        assert img.shape == arr.shape and img.dtype == np.uint8
        changed |= bool(applied) and not np.array_equal(img, arr)
    assert changed != (name == "Color" and channels == 1)  # a grey image has no colour to change


# ---- the augment hook ------------------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(12, 8, 8, 1), (12, 7, 11, 1), (12, 9, 5, 3), (12, 32, 32, 3)])
def test_augmenter_keeps_shape_range_and_dtype(shape):
    x = np.random.default_rng(7).random(shape).astype("float32")
    aug = _augmenter([10, 9] * 30)
    y = aug(x, 0, np.random.default_rng(8))
    assert y.shape == x.shape and y.dtype == x.dtype and 0 <= y.min() and y.max() <= 1
    assert sum(aug.applied.values()) > 0 and not np.array_equal(y, x)
    assert np.array_equal(x, np.random.default_rng(7).random(shape).astype("float32"))  # input not modified


def test_invert_maps_v_to_one_minus_v_exactly():
    x = (np.arange(64, dtype="float32").reshape(1, 8, 8, 1) * 4 / 255.0).repeat(50, axis=0)
    y = _augmenter(_policy(Invert=(10, 0)))(x, 0, np.random.default_rng(9))
    hit = ~np.all(y == x, axis=(1, 2, 3))
    assert hit.any()
    np.testing.assert_allclose(y[hit], 1.0 - x[hit], atol=1e-6)


def test_fill_is_the_batch_mean_or_zero():
    x = np.empty((30, 8, 8, 3), "float32")
    x[:, :4], x[:, 4:] = (0.8, 0.2, 0.8), (0.4, 0.6, 0.0)
    for fill, colour in (("mean", (0.6, 0.4, 0.4)), ("zero", (0.0, 0.0, 0.0))):
        y = _augmenter(_policy(Cutout=(10, 9)), fill)(x, 0, np.random.default_rng(10))
        holes = np.any(y != x, axis=-1)
        assert holes.any()
        np.testing.assert_allclose(y[holes], np.broadcast_to(colour, y[holes].shape), atol=1 / 255)


@pytest.mark.parametrize("shape, message", [
    ((4, 64), r"shape \(height, width, 1\).*received samples of shape \(64,\)"),
    ((4, 8, 8), r"received samples of shape \(8, 8\)"),
    ((4, 8, 8, 2), r"received samples of shape \(8, 8, 2\)"),
])
def test_non_images_are_refused(shape, message):
    with pytest.raises(ValueError, match=message):
        _augmenter([0] * 60)(np.zeros(shape, "float32"), 0, np.random.default_rng(0))


def test_pixel_values_outside_unit_range_are_refused():
    with pytest.raises(ValueError, match=r"pixel values in \[0, 1\].*\[0, 255\]"):
        _augmenter([0] * 60)(np.arange(32, dtype="float32").reshape(2, 4, 4, 1) * 255 / 31, 0,
                             np.random.default_rng(0))


# ---- schedules -----------------------------------------------------------------------------------

def test_keyframes_select_the_policy_per_epoch(tmp_path):
    a, b = _policy(Invert=(10, 0)), _policy(Rotate=(3, 4))
    path = _write(tmp_path, [{"epoch": 5, "policy": b}, {"epoch": 2, "policy": a, "note": "order is free"}])
    sched = load_schedule(path)
    assert [e for e, _ in sched.keyframes] == [2, 5]
    assert [sched.policy_at(e) for e in (0, 1)] == [None, None]  # before the first keyframe: none
    assert [sched.policy_at(e) for e in (2, 3, 4)] == [tuple(a)] * 3
    assert [sched.policy_at(e) for e in (5, 6, 100)] == [tuple(b)] * 3
    x = np.random.default_rng(11).random((40, 6, 6, 1)).astype("float32")
    aug = PbaAugmenter(sched)
    assert np.array_equal(aug(x, 1, np.random.default_rng(0)), x)
    y = aug(x, 3, np.random.default_rng(0))
    assert aug.applied.keys() == {"Invert"} and not np.array_equal(y, x)


def test_default_schedule_ramps_up_from_nothing():
    sched = load_schedule("")
    epochs = [e for e, _ in sched.keyframes]
    assert epochs[0] == 0 and not any(sched.policy_at(0))
    pols = np.array([p for _, p in sched.keyframes])
    assert np.all(np.diff(pols, axis=0) >= 0)  # every probability and magnitude only grows
    assert pols[-1, 0::2].sum() > 0 and sched.policy_at(1000) == tuple(pols[-1])


@pytest.mark.parametrize("content, message", [
    ("{not json", "not valid JSON"),
    ("__import__('os').system('echo hacked')", "not valid JSON"),
    ("[]", "non-empty JSON list"),
    ('{"epoch": 0}', "non-empty JSON list"),
    ("[3]", "keyframe 0 must be an object"),
    ('[{"epoch": 0}]', r"keyframe 0 needs exactly the keys 'epoch' and 'policy'.*found \['epoch'\]"),
    ('[{"epoch": 0, "policy": [], "extra": 1}]', "needs exactly the keys"),
    ('[{"epoch": -1, "policy": []}]', "epoch must be an integer >= 0.*found -1"),
    ('[{"epoch": "3", "policy": []}]', "epoch must be an integer"),
    (json.dumps([{"epoch": 1, "policy": [0] * 60}, {"epoch": 1, "policy": [0] * 60}]), "epoch 1 appears twice"),
    (json.dumps([{"epoch": 4, "policy": [0] * 60 + [1]}]), r"keyframe 0 \(epoch 4\): expected a list of 60"),
    (json.dumps([{"epoch": 0, "policy": [0] * 60}, {"epoch": 9, "policy": [12] * 60}]),
     r"keyframe 1 \(epoch 9\): policy\[0\] is the probability of AutoContrast"),
])
def test_garbage_schedule_files_give_clear_errors(tmp_path, content, message):
    path = _write(tmp_path, content)
    with pytest.raises(ParamError, match=message) as err:
        load_schedule(path)
    assert path in str(err.value) and err.value.param == "schedule_file"


def test_missing_or_unreadable_schedule_files(tmp_path):
    with pytest.raises(ParamError, match="nope.json: no such file"):
        load_schedule(str(tmp_path / "nope.json"))
    with pytest.raises(ParamError, match="is a folder"):
        load_schedule(str(tmp_path))
    (tmp_path / "bin.json").write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ParamError, match="bin.json: cannot read it"):
        load_schedule(str(tmp_path / "bin.json"))
    with pytest.raises(ParamError, match="my source: expected a non-empty"):
        parse_schedule({}, "my source")


def test_edited_schedule_file_is_read_again(tmp_path):
    path = _write(tmp_path, [{"epoch": 0, "policy": [0] * 60}])
    assert load_schedule(path).policy_at(0) == (0,) * 60
    _write(tmp_path, [{"epoch": 0, "policy": [1, 1] * 30, "note": "changed, and longer"}])
    assert load_schedule(path).policy_at(0) == (1, 1) * 30


def test_a_bad_schedule_shows_on_the_node_and_blocks_compiling(registry, tmp_path):
    from engine.analysis.graph import analyze
    from engine.build.compiler import compile_document
    from engine.errors import CompileError
    from engine.model.project import load_project
    from tests.conftest import EXAMPLES

    doc = load_project(EXAMPLES / "digits_pba.sprout", registry).document
    assert analyze(doc).ok
    doc.set_params("n11", {"schedule_file": _write(tmp_path, "[1]")})
    assert [(d.uid, "keyframe 0" in d.message) for d in analyze(doc).errors] == [("n11", True)]
    with pytest.raises(CompileError, match="node n11: schedule file .*schedule.json: keyframe 0"):
        compile_document(doc)


# ---- training through the engine ---------------------------------------------------------------------

def test_training_augments_training_batches_only(registry, tmp_path):
    from engine.build.compiler import compile_document
    from engine.data.datasets import DataConfig, load_dataset
    from engine.model.project import load_project
    from engine.train.config import TrainConfig
    from engine.train.trainer import train
    from tests.conftest import EXAMPLES

    doc = load_project(EXAMPLES / "digits_pba.sprout", registry).document
    path = _write(tmp_path, [{"epoch": 0, "policy": [0] * 60}, {"epoch": 1, "policy": _policy(Invert=(10, 0))}])
    doc.set_params("n11", {"schedule_file": path})
    compiled = compile_document(doc)
    [(uid, hooks)] = compiled.hooks
    aug = hooks.augment
    assert uid == "n11" and isinstance(aug, PbaAugmenter)
    calls = []

    def recording(x, epoch, rng):
        y = aug(x, epoch, rng)
        calls.append((epoch, x.copy(), not np.array_equal(x, y)))
        return y

    compiled.hooks[0] = (uid, replace(hooks, augment=recording))
    ds = load_dataset(DataConfig("digits"))
    val, test = ds.x_val.copy(), ds.x_test.copy()
    result = train(compiled, ds, TrainConfig(epochs=3, batch_size=128))
    assert result.epochs_run == 3 and {e for e, _, _ in calls} == {0, 1, 2}
    assert not any(changed for e, _, changed in calls if e == 0) and any(c for e, _, c in calls if e >= 1)
    assert sum(len(x) for e, x, _ in calls if e == 2) == len(ds.x_train)  # one pass over the training set
    train_rows = {row.tobytes() for row in ds.x_train}
    assert all(row.tobytes() in train_rows for _, x, _ in calls for row in x)  # never a val/test sample
    assert np.array_equal(ds.x_val, val) and np.array_equal(ds.x_test, test)
    n_calls = len(calls)
    compiled.model.predict(ds.x_test, verbose=0)
    compiled.model.evaluate(ds.x_val, ds.y_val, verbose=0)
    assert len(calls) == n_calls  # inference never augments
