"""Cyclical learning rates (paper.cyclic_lr): the paper's numbers, the trainer hook, save/reload."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from blocks.paper.cyclic_lr import SPEC, cyclic_lr, half_cycle_steps
from engine.analysis.graph import analyze
from engine.build.compiler import compile_document
from engine.data.datasets import DataConfig, load_dataset
from engine.model.project import load_project
from engine.train.config import TrainConfig
from tests.conftest import EXAMPLES, ROOT, train_into

PAPER = {"mode": "triangular", "base_lr": 0.001, "max_lr": 0.006, "step_size": 2000, "gamma": 1.0}


def _schedule(**over):
    from blocks.layers.cyclic_lr import CyclicLR

    p = {**PAPER, **over}
    return CyclicLR(p["base_lr"], p["max_lr"], p["step_size"], p["mode"], p["gamma"])


def _at(schedule, its):
    return [float(schedule(i)) for i in its]


def test_triangular_matches_the_papers_example():
    # base 0.001, max 0.006, step 2000: up for 2000 iterations, down for the next 2000.
    its = [0, 1000, 2000, 3000, 4000, 5000, 6000]
    want = [0.001, 0.0035, 0.006, 0.0035, 0.001, 0.0035, 0.006]
    np.testing.assert_allclose(_at(_schedule(), its), want, rtol=1e-6)
    np.testing.assert_allclose([cyclic_lr(PAPER, i) for i in its], want, rtol=1e-12)


def test_triangular2_halves_the_amplitude_every_cycle():
    s = _schedule(mode="triangular2")
    peaks = np.array(_at(s, [2000, 6000, 10000, 14000])) - 0.001
    np.testing.assert_allclose(peaks, [0.005, 0.0025, 0.00125, 0.000625], rtol=1e-5)
    np.testing.assert_allclose(_at(s, [0, 4000, 8000]), [0.001] * 3, rtol=1e-6)  # troughs stay at base
    np.testing.assert_allclose(_at(s, [5000]), [0.001 + 0.0025 / 2], rtol=1e-5)  # halfway up cycle 2


def test_exp_range_scales_by_gamma_to_the_iteration():
    gamma = 0.99994
    s = _schedule(mode="exp_range", gamma=gamma)
    its = [0, 1000, 2000, 6000]
    want = [0.001, 0.001 + 0.005 * 0.5 * gamma ** 1000, 0.001 + 0.005 * gamma ** 2000, 0.001 + 0.005 * gamma ** 6000]
    np.testing.assert_allclose(_at(s, its), want, rtol=1e-5)
    params = {**PAPER, "mode": "exp_range", "gamma": gamma}
    np.testing.assert_allclose([cyclic_lr(params, i) for i in its], want, rtol=1e-12)


def test_step_size_epochs_converts_with_steps_per_epoch():
    params = SPEC.validate_params({"step_size": 7})
    assert half_cycle_steps(params, 40) == 7  # 0 epochs: the iteration count rules
    params = SPEC.validate_params({"step_size_epochs": 2.5})
    assert half_cycle_steps(params, 40) == 100
    schedule = SPEC.training(params).lr_schedule(0.123, 40, 20)
    assert schedule.get_config()["step_size"] == 100 and schedule.base_lr == 0.001  # project lr ignored


def test_max_lr_below_base_lr_marks_the_node(registry):
    doc = load_project(EXAMPLES / "digits_clr.sprout", registry).document
    uid = next(u for u, node in doc.nodes.items() if node.block == SPEC.id)
    doc.set_params(uid, {**doc.node(uid).params, "max_lr": 0.0001})
    diags = analyze(doc).errors
    assert [d.uid for d in diags] == [uid] and "Expected max_lr >= base_lr" in diags[0].message


def _tiny_with_clr(registry, **params):
    doc = load_project(EXAMPLES / "digits_mlp.sprout", registry).document
    doc.add_node(SPEC.id, params)
    return compile_document(doc)


def test_trainer_lr_column_follows_the_schedule(registry, tmp_path):
    params = {"base_lr": 0.001, "max_lr": 0.01, "step_size": 12}
    compiled = _tiny_with_clr(registry, **params)
    ds = load_dataset(DataConfig("digits"))
    steps = int(np.ceil(len(ds.x_train) / 128))
    result = train_into(tmp_path, compiled, ds, TrainConfig(epochs=5, batch_size=128, learning_rate=0.5))
    assert steps == 10
    # The rate after each epoch's last step, at iterations 10..50 (half cycle 12): up, down, up, up, down.
    want = [0.0085, 0.004, 0.0055, 0.007, 0.0025]
    np.testing.assert_allclose([row["lr"] for row in result.history], want, rtol=1e-5)
    assert result.metrics["test"]["accuracy"] > 0.6  # the project's lr 0.5 would not have trained this well


def test_saved_model_reloads_with_safe_mode(registry, tmp_path):
    params = {"mode": "triangular2", "base_lr": 0.0005, "max_lr": 0.004, "step_size_epochs": 0.5}
    compiled = _tiny_with_clr(registry, **params)
    ds = load_dataset(DataConfig("digits"))
    train_into(tmp_path, compiled, ds, TrainConfig(epochs=2, batch_size=128))
    steps = int(np.ceil(len(ds.x_train) / 128))
    expected = {**{k: params[k] for k in ("mode", "base_lr", "max_lr")}, "step_size": round(0.5 * steps)}
    code = ("import sys, keras, blocks; blocks.register_keras_objects(); "
            "m = keras.saving.load_model(sys.argv[1], safe_mode=True); o = m.optimizer; "
            "s = o._learning_rate; c = s.get_config(); "
            "print(type(s).__name__, c['mode'], c['base_lr'], c['max_lr'], c['step_size'], "
            "int(o.iterations.numpy()), float(o.learning_rate))")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "last.keras")], cwd=ROOT,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    name, mode, base, top, step, its, lr = out.stdout.split()[-7:]
    assert (name, mode, float(base), float(top), int(step)) == ("CyclicLR", *expected.values())
    assert int(its) == 2 * steps
    full = {**SPEC.defaults(), **params, "step_size": int(step)}
    assert float(lr) == pytest.approx(cyclic_lr(full, int(its)), rel=1e-5)


def test_with_free_adversarial_the_cycle_counts_optimizer_steps(registry):
    # Free AT replays every batch m times (m optimizer steps); a half cycle of one epoch
    # must span one epoch's optimizer steps, batches x m, not batches (issue 9, item 16).
    from engine.train.trainer import train

    doc = load_project(EXAMPLES / "digits_mlp.sprout", registry).document
    doc.add_node("paper.free_adversarial", {"epsilon": 0.05, "replays": 4})
    doc.add_node(SPEC.id, {"base_lr": 0.001, "max_lr": 0.01, "step_size_epochs": 1.0})
    compiled = compile_document(doc)
    ds = load_dataset(DataConfig("digits"))
    result = train(compiled, ds, TrainConfig(epochs=8, batch_size=256))
    batches = int(np.ceil(len(ds.x_train) / 256))
    optimizer = compiled.model.optimizer
    assert result.epochs_run == 2 and int(optimizer.iterations) == 2 * batches * 4
    assert optimizer._learning_rate.get_config()["step_size"] == batches * 4
    # After one epoch's optimizer steps the rate is at the peak, after two back at the base.
    np.testing.assert_allclose([row["lr"] for row in result.history], [0.01, 0.001], rtol=1e-5)
