"""Models saved by Sprout before the blocks moved (tests/fixtures/keras/) still load and agree."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "keras"
NAMES = sorted(p.stem for p in FIXTURES.glob("*.keras"))


def test_one_fixture_per_custom_layer():
    assert len(NAMES) >= 11, NAMES


@pytest.mark.parametrize("name", NAMES)
def test_fixture_loads_in_safe_mode_and_predicts_the_same(name):
    import keras

    from blocks import register_keras_objects

    register_keras_objects()
    model = keras.saving.load_model(FIXTURES / f"{name}.keras", safe_mode=True)
    with np.load(FIXTURES / f"{name}.npz", allow_pickle=False) as saved:
        xs = [saved[k] for k in sorted(saved.files) if k.startswith("x")]
        ys = [saved[k] for k in sorted(saved.files) if k.startswith("y")]
        lrs = saved["lrs"] if "lrs" in saved.files else None
    pair = len(xs) == 2 and len(model.inputs) == 2 and name.startswith("octconv")
    x = tuple(xs) if pair else (xs if len(xs) > 1 else xs[0])
    out = model(x, training=False)
    got = list(out) if isinstance(out, (list, tuple)) else [out]
    assert len(got) == len(ys)
    for a, b in zip(got, ys, strict=True):
        np.testing.assert_allclose(np.asarray(a), b, rtol=1e-5, atol=1e-6)
    if lrs is not None:  # the cyclical schedule came back inside the optimizer
        schedule = model.optimizer.learning_rate if not hasattr(model.optimizer, "_learning_rate") \
            else model.optimizer._learning_rate
        assert type(schedule).__name__ != "Variable", type(schedule)
        np.testing.assert_allclose([float(schedule(i)) for i in range(0, 40, 3)], lrs, rtol=1e-6)
