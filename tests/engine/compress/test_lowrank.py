"""Low-rank factorization: the NumPy maths, the rewritten graph, and the rebuilt model."""
from __future__ import annotations

import re

import numpy as np
import pytest

from engine.analysis.graph import analyze
from engine.compress import graph, lowrank
from engine.errors import CompressionError
from engine.train.workflow import open_project
from tests.conftest import ROOT

EXAMPLE = ROOT / "resources" / "examples" / "digits_cnn.sprout"


@pytest.fixture(scope="module")
def digits():
    """digits_cnn and its compiled model with seeded initial weights (no training)."""
    import keras

    keras.utils.set_random_seed(0)
    project = open_project(EXAMPLE)
    return project, graph.rebuild(project.document, None).model


def _orthonormal(rng, n, k):
    return np.linalg.qr(rng.normal(size=(n, n)))[0][:, :k]


def _decaying(model, seed=0):
    """A copy of ``model``'s weights with fast-decaying spectra, as training tends to leave them."""
    rng = np.random.default_rng(seed)
    weights = graph.layer_weights(model)
    out = {}
    for name, (kernel, *rest) in weights.items():
        if kernel.ndim == 2:
            f, u = kernel.shape
            k = min(f, u)
            kernel = _orthonormal(rng, f, k) @ np.diag(0.6 ** np.arange(k)) @ _orthonormal(rng, u, k).T
        elif kernel.ndim == 4:
            kh, kw, cin, cout = kernel.shape
            a = _orthonormal(rng, cin, cin) * 0.6 ** np.arange(cin)
            b = _orthonormal(rng, cout, cout) * 0.6 ** np.arange(cout)
            kernel = np.einsum("hwab,ia,ob->hwio", rng.normal(size=(kh, kw, cin, cout)), a, b)
        out[name] = [kernel.astype("float32"), *rest]
    return out


def _same_predictions(model, other, shape=(16, 8, 8, 1)):
    x = np.random.default_rng(1).normal(size=shape).astype("float32")
    return float(np.max(np.abs(model.predict(x, verbose=0) - other.predict(x, verbose=0))))


# -- the maths ------------------------------------------------------------------------------
def test_svd_error_is_the_discarded_energy():
    w = np.random.default_rng(0).normal(size=(40, 24))
    s = np.linalg.svd(w, compute_uv=False)
    for rank in (1, 5, 23, 24):
        a, b, error = lowrank.svd_dense(w, rank)
        assert a.shape == (40, rank) and b.shape == (rank, 24)
        assert error == pytest.approx(np.sqrt(np.sum(s[rank:] ** 2)), rel=1e-5, abs=1e-9)
        assert np.linalg.norm(w - a @ b) == pytest.approx(error, rel=1e-6, abs=1e-9)
    a, b, _ = lowrank.svd_dense(w, 5)
    assert np.allclose(np.linalg.norm(a, axis=0), np.linalg.norm(b, axis=1))  # sqrt(S) on both sides


def test_rank_for_energy_on_a_known_spectrum():
    s = np.sqrt([50.0, 30.0, 15.0, 5.0])  # squared: 50%, 30%, 15%, 5%
    assert lowrank.rank_for_energy(s, 0.5) == 1
    assert lowrank.rank_for_energy(s, 0.51) == 2
    assert lowrank.rank_for_energy(s, 0.8) == 2
    assert lowrank.rank_for_energy(s, 0.9) == 3
    assert lowrank.rank_for_energy(s, 0.96) == 4
    assert lowrank.rank_for_energy(s, 1.0) == 4
    with pytest.raises(CompressionError):
        lowrank.rank_for_energy(s, 0.0)


def test_tucker2_at_full_rank_rebuilds_the_kernel():
    w = np.random.default_rng(0).normal(size=(3, 3, 6, 10))
    first, core, last = lowrank.tucker2(w, 6, 10)
    assert (first.shape, core.shape, last.shape) == ((1, 1, 6, 6), (3, 3, 6, 10), (1, 1, 10, 10))
    back = np.einsum("hwab,ia,bo->hwio", core, first[0, 0], last[0, 0])
    assert np.allclose(back, w)
    _, core, _ = lowrank.tucker2(w, 2, 3)
    assert core.shape == (3, 3, 2, 3)


# -- whole models ---------------------------------------------------------------------------
def test_full_rank_factorization_reproduces_the_model(digits):
    project, model = digits
    new, overrides, notes = lowrank.factorize(project, model, {"rank": 64, "layers": ["n4", "n8"]}, force=True)
    doc = new.document
    assert len(doc.nodes) == len(project.document.nodes) + 3 and len(notes) == 2
    assert doc.node("n4").params["kernel_size"] == (1, 1) and doc.node("n4").params["filters"] == 64
    assert project.document.node("n4").params["kernel_size"] == (3, 3)  # the original is untouched
    rebuilt = graph.rebuild(doc, model, overrides).model
    assert _same_predictions(model, rebuilt) < 1e-4


def test_energy_keeps_fewer_params_and_a_sound_graph(digits):
    project, model = digits
    trained = graph.rebuild(project.document, model, _decaying(model)).model
    new, overrides, notes = lowrank.factorize(project, trained, {"energy": 0.9})
    doc = new.document
    assert analyze(doc).ok
    assert not any("n9" in key for key in overrides)
    assert any(line.startswith("n9 Classes") and "left alone" in line for line in notes)
    # Dense n8 is fed by a linear, bias-free Dense; conv n4 by an "in" 1x1 and a 3x3 core
    (lr,) = [lk.source for lk in doc.links() if lk.target == "n8"]
    assert doc.node(lr).title == "Dense low-rank" and doc.node(lr).params["use_bias"] is False
    assert [lk.target for lk in doc.links() if lk.source == "n7"] == [lr]
    (core,) = [lk.source for lk in doc.links() if lk.target == "n4"]
    (first,) = [lk.source for lk in doc.links() if lk.target == core]
    assert doc.node(core).params["kernel_size"] == (3, 3) and doc.node(first).params["kernel_size"] == (1, 1)
    assert [lk.source for lk in doc.links() if lk.target == first] == ["n3"]
    positions = {n.position for n in doc.nodes.values()}
    assert len(positions) == len(doc.nodes)  # re-laid out: no two boxes on one spot
    rebuilt = graph.rebuild(doc, trained, overrides).model
    assert rebuilt.count_params() < trained.count_params()
    assert rebuilt.count_params() == analyze(doc).totals()["params"]
    assert _same_predictions(trained, rebuilt) < 0.2  # 90% energy: close, not equal


def test_random_weights_that_would_not_shrink_are_left_with_a_note(digits):
    project, model = digits
    new, overrides, notes = lowrank.factorize(project, model, {"rank": 60, "layers": ["Dense"]})
    assert overrides == {} and len(new.document.nodes) == len(project.document.nodes)
    assert len(notes) == 1
    assert re.fullmatch(r"n8 Dense 256x64 -> rank 60 \(\d+\.\d% energy\): 16,448 -> 19,264 params: "
                        r"left as is, it would not save parameters", notes[0])


# -- preview --------------------------------------------------------------------------------
def test_preview_lines_from_shapes(digits):
    project, _ = digits
    lines = lowrank.preview(project, {"rank": 12})
    assert lines[-2] == "n8 Dense 256x64 -> rank 12: 16,448 -> 3,904 params"
    assert lines[-1].startswith("n9 Classes 64x10: left alone")
    assert [line.split()[0] for line in lines] == ["n2", "n4", "n8", "n9"]
    assert "90%" in lowrank.preview(project, {"energy": 0.9, "layers": ["n4"]})[0]


def test_a_plan_step_is_understood(digits):
    from engine.compress.plan import load_plan

    plan = load_plan('{"steps": [{"method": "factorize", "rank": 12, "fine_tune_epochs": 1}]}')
    assert lowrank.preview(digits[0], plan.steps[0]) == lowrank.preview(digits[0], {"rank": 12})


@pytest.mark.parametrize("step, message", [
    ({"rank": 300}, "node n2 (Conv 3x3): rank 300 is larger than the layer (3 x 3 x 1 x 32 allows at most 32)"),
    ({"rank": 300, "layers": ["n8"]}, "node n8 (Dense): rank 300 is larger than the layer "
                                      "(256 x 64 allows at most 64)"),
    ({"rank": 4, "layers": ["n99"]}, "no node with id or title 'n99'"),
    ({"rank": 4, "layers": ["Pool"]}, "names 2 nodes (n3, n5)"),
    ({"rank": 4, "layers": ["n6"]}, "node n6 (Flatten): expected a Dense or Conv2D"),
    ({"energy": 1.5}, "expected 0 < energy <= 1. Received: energy=1.5"),
    ({"rank": 0}, "expected an integer rank >= 1"),
    ({"rank": 4, "energy": 0.9}, "exactly one of energy or rank"),
    ({"ranks": 4}, "unknown key 'ranks'"),
])
def test_preview_refuses_bad_steps_in_one_line(digits, step, message):
    project, _ = digits
    with pytest.raises(CompressionError) as err:
        lowrank.preview(project, step)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_the_class_layer_is_left_alone_even_when_named(digits):
    project, model = digits
    assert "left alone" in lowrank.preview(project, {"rank": 4, "layers": ["Classes"]})[0]
    new, overrides, notes = lowrank.factorize(project, model, {"rank": 4, "layers": ["n9"]})
    assert overrides == {} and "left alone" in notes[0]
