"""The LR range test: engine function (curve, early stop, restored weights, suggestion) and CLI command."""
from __future__ import annotations

import csv

import numpy as np
import pytest

from engine.build.compiler import compile_document
from engine.data.datasets import DataConfig, load_dataset
from engine.errors import TrainingError
from engine.model.project import load_project
from engine.train.config import TrainConfig
from engine.train.lr_range import RangePoint, RangeResult, _lag, check_arguments, lr_range_test, suggest
from main import main
from tests.conftest import EXAMPLES, Polled

IRIS = str(EXAMPLES / "iris_mlp.sprout")


def _iris(registry):
    compiled = compile_document(load_project(EXAMPLES / "iris_mlp.sprout", registry).document)
    return compiled, load_dataset(DataConfig("iris"))


def test_command_prints_a_compact_table_and_writes_every_point(tmp_path, capsys):
    out = tmp_path / "range.csv"
    argv = ["lr-range", IRIS, "--steps", "40", "--min-lr", "0.001", "--max-lr", "0.2", "--out", str(out)]
    assert main(argv) == 0
    with open(out) as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["iteration", "lr", "loss", "smoothed_loss"]
    assert 5 <= len(rows) <= 40 and [int(r["iteration"]) for r in rows] == list(range(len(rows)))
    want = 0.001 + (0.2 - 0.001) * np.arange(len(rows)) / 39  # linear, as in the paper
    np.testing.assert_allclose([float(r["lr"]) for r in rows], want, rtol=1e-6)
    printed = capsys.readouterr().out.splitlines()
    table = printed[1:printed.index(next(ln for ln in printed if " after " in ln))]
    assert printed[0].split() == ["iteration", "lr", "loss", "smoothed"] and 5 <= len(table) <= 20
    assert printed[-1].startswith("suggested: ")


def test_range_test_restores_the_initial_weights(registry):
    compiled, ds = _iris(registry)
    before = [w.copy() for w in compiled.model.get_weights()]
    seen = []
    result = lr_range_test(compiled, ds, TrainConfig(batch_size=16), 1e-4, 0.05, 12, on_progress=seen.append)
    assert result.stop_reason == "completed" and len(result.points) == 12
    assert [p.step for p in seen] == list(range(1, 13)) and seen[0].total == 12
    assert result.points[0].loss != result.points[-1].loss  # it did train
    for a, b in zip(before, compiled.model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert float(compiled.model.optimizer.learning_rate) == pytest.approx(TrainConfig().learning_rate)


def test_range_test_stops_when_the_loss_explodes(registry):
    compiled, ds = _iris(registry)
    result = lr_range_test(compiled, ds, TrainConfig(batch_size=16, optimizer="sgd"), 1e-3, 100.0, 200,
                           mode="exponential")
    assert result.stop_reason == "diverged" and len(result.points) < 200
    lrs = [p.lr for p in result.points]
    np.testing.assert_allclose(lrs[:3], 1e-3 * (1e5 ** (np.arange(3) / 199)), rtol=1e-9)  # exponential


def test_range_test_obeys_stop_requests(registry):
    compiled, ds = _iris(registry)
    calls = []
    result = lr_range_test(compiled, ds, TrainConfig(batch_size=16), 1e-4, 0.05, 50,
                           control=Polled(lambda: calls.append(1) or len(calls) > 7))
    assert result.stop_reason == "stopped" and len(result.points) == 7


def _curve(losses, lrs=None):
    lrs = lrs if lrs is not None else [0.001 * (i + 1) for i in range(len(losses))]
    return RangeResult([RangePoint(i, lr, v, v) for i, (lr, v) in enumerate(zip(lrs, losses))], "diverged")


def test_suggestion_rule_on_a_known_curve():
    # Flat at 2.0 for 10 steps (i = 0..9), falls 0.08 per step to 0.0 at i = 34, then rises; lr = 0.001 * (i + 1).
    losses = [2.0] * 10 + [2.0 - 0.08 * k for k in range(1, 26)] + [0.3 * k for k in range(1, 6)]
    result = suggest(_curve(losses), smoothing=0.0)  # no averaging: no lag to correct
    assert result.max_lr == pytest.approx(0.035)  # the lowest loss: where it stops decreasing
    assert result.base_lr == pytest.approx(0.035 / 3)  # 10% of the fall is at i = 12 (0.013): capped at max / 3
    # A later minimum leaves the 10%-of-the-fall point (k = 10, i = 19) under the cap.
    losses = [2.0] * 10 + [2.0 - 0.02 * k for k in range(1, 96)] + [1.0]
    result = suggest(_curve(losses), smoothing=0.0)
    assert (result.base_lr, result.max_lr) == (pytest.approx(0.020), pytest.approx(0.105))


def test_suggestion_reads_rates_where_the_average_was_centred():
    assert _lag(0, 0.9) == 0 and _lag(2000, 0.9) == pytest.approx(9.0)  # beta / (1 - beta) in the long run
    losses = [2.0 - 0.01 * i for i in range(100)] + [3.0]
    result = suggest(_curve(losses), smoothing=0.9)
    assert result.max_lr == pytest.approx(0.001 * (99 - 9 + 1))


def test_no_suggestion_when_the_loss_never_falls():
    result = suggest(_curve([2.3, 2.31, 2.29, 2.3, 2.32]), smoothing=0.0)
    assert result.base_lr is None and result.max_lr is None and "did not decrease" in result.notes[0]


@pytest.mark.parametrize("args, message", [
    ((0.1, 0.01, 50, "linear"), "Expected 0 <= min_lr < max_lr <= 100"),
    ((0.0, 0.01, 50, "exponential"), "Expected 0 < min_lr < max_lr"),
    ((1e-4, 0.01, 3, "linear"), "Expected 5 <= steps"),
    ((1e-4, 0.01, 50, "cosine"), "Expected mode in"),
])
def test_bad_arguments_raise_training_errors(args, message):
    with pytest.raises(TrainingError, match=message):
        check_arguments(*args)


@pytest.mark.parametrize("extra, message", [
    (["--min-lr", "1", "--max-lr", "0.1"], "Expected 0 <= min_lr < max_lr <= 100"),
    (["--steps", "0"], "Expected 5 <= steps <= 1000000. Received: steps=0"),
    (["--steps", "many"], "invalid int value"),
    (["--mode", "cosine"], "invalid choice"),
    (["--out", "range.txt"], "must be a .csv file"),
    (["--data", "no-such-set"], "no-such-set"),
])
def test_bad_arguments_exit_1_with_one_line(extra, message, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["lr-range", IRIS, "--steps", "5", *extra]) == 1
    err = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    assert len(err) == 1 and err[0].startswith("error: ") and message in err[0]
