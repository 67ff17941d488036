"""Execution settings (issue 16): batches per graph call and XLA, fixed or measured on the run and cached."""
from __future__ import annotations

import json

import keras
import numpy as np
import pytest

from engine.build.compiler import compile_document
from engine.data.datasets import DataConfig, load_dataset
from engine.errors import TrainingError
from engine.model.project import load_project
from engine.train.calibrate import CACHE_FILE, SPE_CANDIDATES, BlockPlan, ExecutionCache, ExecutionSettings
from engine.train.config import TrainConfig
from engine.train.trainer import train
from tests.conftest import EXAMPLES, Polled


@pytest.fixture(scope="module")
def digits():
    return load_dataset(DataConfig("digits"))


def _compiled(registry, name="digits_mlp"):
    keras.utils.clear_session()
    keras.utils.set_random_seed(0)  # the initial weights, as run_training seeds them
    return compile_document(load_project(EXAMPLES / f"{name}.sprout", registry).document)


def _losses(result):
    return [(row["loss"], row.get("val_loss")) for row in result.history]


def test_config_defaults_to_auto_and_checks_values():
    cfg = TrainConfig.from_dict({})
    assert cfg.steps_per_execution == "auto" and cfg.jit_compile == "auto"
    cfg = TrainConfig.from_dict({"steps_per_execution": 8, "jit_compile": False})
    assert cfg.steps_per_execution == 8 and cfg.jit_compile is False
    for bad in ({"steps_per_execution": 0}, {"steps_per_execution": "8"}, {"steps_per_execution": True},
                {"steps_per_execution": 2.5}, {"jit_compile": "yes"}, {"jit_compile": 1}):
        with pytest.raises(TrainingError) as err:
            TrainConfig.from_dict(bad)
        assert "\n" not in str(err.value) and "training." in str(err.value)


def test_blocks_of_batches_give_the_metrics_of_batch_by_batch(registry, digits):
    cfg = TrainConfig(epochs=2, batch_size=64)
    one = train(_compiled(registry), digits, cfg, execution=ExecutionSettings(1, False))
    eight = train(_compiled(registry), digits, cfg, execution=ExecutionSettings(8, False))
    assert eight.execution.steps_per_execution == 8
    np.testing.assert_allclose(_losses(eight), _losses(one), rtol=1e-5)
    np.testing.assert_allclose(eight.metrics["test"]["accuracy"], one.metrics["test"]["accuracy"], atol=1e-6)


def test_progress_counts_batches_when_they_come_in_blocks(registry, digits):
    seen = []
    result = train(_compiled(registry), digits, TrainConfig(epochs=1, batch_size=64),
                   on_progress=seen.append, execution=ExecutionSettings(8, False))
    batches = int(np.ceil(len(digits.x_train) / 64))
    ticks = [p for p in seen if p.stage == "train"]
    assert [p.metrics["batch"] for p in ticks] == [min(b, batches - 1) for b in range(7, batches + 7, 8)]
    assert ticks[-1].step == ticks[-1].total == batches  # the bar (and ETA) end at the last batch
    assert result.stop_reason == "completed"


def test_stop_ends_within_one_block_and_keeps_the_weights_after_it(registry, digits):
    compiled = _compiled(registry)
    batches = int(np.ceil(len(digits.x_train) / 64))  # 20: blocks of 8, 8 and 4, then epoch 2
    starts = [0, 8, 16, batches]
    polls = []

    def should_stop():  # polled before each block of 8 batches; the 4th poll asks to stop
        polls.append(int(compiled.model.optimizer.iterations.numpy()))
        return len(polls) > 3

    result = train(compiled, digits, TrainConfig(epochs=2, batch_size=64), control=Polled(should_stop),
                   execution=ExecutionSettings(8, False))
    assert result.stop_reason == "stopped" and polls == starts
    done = starts[-1]
    assert int(compiled.model.optimizer.iterations.numpy()) == done and f"after {done} steps" in result.message
    reference = _compiled(registry)  # the same steps, batch by batch, in an uninterrupted fit
    polls.clear()
    train(reference, digits, TrainConfig(epochs=2, batch_size=64),
          control=Polled(lambda: polls.append(1) or len(polls) > done), execution=ExecutionSettings(1, False))
    for kept, ref in zip(result.last_weights, reference.model.get_weights()):
        np.testing.assert_allclose(kept, ref, rtol=1e-5, atol=1e-6)


def test_a_calibrated_run_equals_batch_by_batch_and_is_cached(registry, digits, tmp_path):
    cfg = TrainConfig(epochs=3, batch_size=16)  # 79 batches an epoch: the measurement ends in epoch 3
    cache = ExecutionCache(tmp_path / CACHE_FILE)
    auto = train(_compiled(registry), digits, cfg, execution=cache)
    picked = auto.execution
    assert picked.source == "calibrated" and picked.steps_per_execution in SPE_CANDIDATES
    assert picked.jit_compile is False and {"spe=1", "spe=4"} <= set(picked.timings)
    assert "skipped" in picked.timings.get(f"spe={picked.steps_per_execution},jit", "")  # ~1 ms a batch
    one = train(_compiled(registry), digits, cfg, execution=ExecutionSettings(1, False))
    np.testing.assert_allclose(_losses(auto), _losses(one), rtol=1e-5)  # blocks of mixed lengths
    stored = json.loads((tmp_path / CACHE_FILE).read_text())
    assert len(stored["entries"]) == 1
    again = train(_compiled(registry), digits, cfg, execution=ExecutionCache(tmp_path / CACHE_FILE))
    assert again.execution.source == "cached"
    assert again.execution.steps_per_execution == picked.steps_per_execution


def test_a_run_shorter_than_the_measurement_is_not_cached(registry, digits, tmp_path):
    cache = ExecutionCache(tmp_path / CACHE_FILE)
    result = train(_compiled(registry), digits, TrainConfig(epochs=1, batch_size=64), execution=cache)
    assert result.execution.source == "partial" and result.stop_reason == "completed"
    assert not (tmp_path / CACHE_FILE).exists()


def test_fixed_settings_win_over_the_cache(registry, digits, tmp_path):
    cfg = TrainConfig(epochs=1, batch_size=64, steps_per_execution=4, jit_compile=False)
    result = train(_compiled(registry), digits, cfg, execution=ExecutionCache(tmp_path / CACHE_FILE))
    assert (result.execution.steps_per_execution, result.execution.source) == (4, "fixed")
    assert not (tmp_path / CACHE_FILE).exists()  # nothing was measured


def _fed(plan, per_batch, remaining=10_000):
    """Drive a plan with made-up seconds per batch per (length, jit); the lengths it ran."""
    lengths = []
    while plan.measuring or not plan.done:
        n = plan.next_length(remaining)
        lengths.append((n, plan.use_jit))
        plan.record(n, n * per_batch[(min(n, 32), plan.use_jit)] if (n, plan.use_jit) in per_batch else n * 1.0)
    return lengths


def test_the_plan_keeps_the_smallest_length_within_3_percent_of_the_fastest():
    times = {(1, False): 0.003, (4, False): 0.002, (8, False): 0.0015, (16, False): 0.00152, (32, False): 0.0016}
    plan = BlockPlan(None, None, try_jit=True)
    ran = _fed(plan, times)
    assert ran[:2] == [(1, False), (1, False)]  # the untimed warm-up calls
    got = plan.settings()
    assert (got.steps_per_execution, got.jit_compile, got.source) == (8, False, "calibrated")
    assert got.timings["spe=16"] == pytest.approx(0.00152) and "skipped" in got.timings["spe=8,jit"]
    assert sum(n for n, _ in ran if n == 32) >= 64  # each candidate over two of its blocks at least
    assert plan.next_length(5) == 5 and plan.next_length(100) == 8  # never past the epoch's end


def test_the_search_ends_at_a_clearly_slower_length_and_tries_xla_on_slow_batches():
    times = {(1, False): 0.05, (4, False): 0.03, (8, False): 0.04, (4, True): 0.02}
    plan = BlockPlan(None, None, try_jit=True)
    ran = _fed(plan, times)
    assert 16 not in [n for n, _ in ran]  # 8 was > 5% slower than 4: 16 and 32 are not tried
    assert (plan.settings().steps_per_execution, plan.settings().jit_compile) == (4, True)
    assert ran[-1] == (4, True)
    slower = BlockPlan(None, None, try_jit=True)
    _fed(slower, {(1, False): 0.05, (4, False): 0.03, (8, False): 0.04, (4, True): 0.06})
    assert slower.settings().jit_compile is False and slower.settings().timings["spe=4,jit"] == 0.06


def test_xla_failure_and_fixed_or_small_epochs():
    plan = BlockPlan(None, None, try_jit=True, candidates=(1, 4))
    _fed(plan, {(1, False): 0.05, (4, False): 0.04})
    assert plan.use_jit is False and plan.done  # the trial ended
    failing = BlockPlan(8, None, try_jit=True)  # a fixed length: measured once as XLA's baseline
    while not failing.use_jit:
        failing.record(failing.next_length(100), 0.5)
    failing.jit_failed("XLA: unsupported op")
    assert failing.done and failing.settings().jit_compile is False
    assert "failed: XLA" in failing.settings().timings["spe=8,jit"]
    assert BlockPlan(None, False, batches_per_epoch=5)._queue == [1, 4]  # noqa: SLF001 - 8+ exceed the epoch
    fixed = BlockPlan(16, False)
    assert fixed.done and not fixed.measuring and fixed.next_length(100) == 16


def test_a_broken_cache_file_is_ignored(tmp_path):
    (tmp_path / CACHE_FILE).write_text("{not json")
    assert ExecutionCache(tmp_path / CACHE_FILE).get("x") is None


def test_the_feed_gives_every_sample_once_an_epoch_in_a_new_order_from_the_seed(digits):
    from engine.train.feed import batches, training_dataset

    x = np.arange(100, dtype=np.float32).reshape(100, 1)
    y = np.arange(100)
    n = batches(100, 32)
    assert n == 4

    def epochs(seed):
        it = iter(training_dataset(x, y, 32, seed))
        out = []
        for _ in range(3):
            got = [next(it) for _ in range(n)]
            assert [len(b[1]) for b in got] == [32, 32, 32, 4]  # the last batch of each epoch is short
            out.append(np.concatenate([b[1].numpy() for b in got]))
        return out

    first = epochs(0)
    for order in first:
        assert sorted(order.tolist()) == list(range(100))  # each sample once per epoch
    assert not np.array_equal(first[0], first[1])  # reshuffled every epoch
    assert all(np.array_equal(a, b) for a, b in zip(first, epochs(0)))  # reproducible from the seed
    assert not np.array_equal(first[0], epochs(1)[0])


def test_reports_come_several_times_a_second(registry, digits):
    import time

    stamps = []
    train(_compiled(registry), digits, TrainConfig(epochs=3, batch_size=32),
          on_progress=lambda p: stamps.append(time.perf_counter()) if p.stage == "train" else None)
    gaps = np.diff(stamps)
    assert np.median(gaps) < 0.2  # the studio's curves move at least ~5 times a second


@pytest.mark.parametrize("name", ["digits_free_adv", "digits_excitation_dropout", "digits_clr", "digits_pba"])
def test_custom_train_steps_and_lr_schedules_work_in_blocks(registry, digits, name):
    cfg = TrainConfig(epochs=2, batch_size=64)
    one = train(_compiled(registry, name), digits, cfg, execution=ExecutionSettings(1, False))
    four = train(_compiled(registry, name), digits, cfg, execution=ExecutionSettings(4, False))
    assert four.stop_reason == one.stop_reason == "completed"
    np.testing.assert_allclose(_losses(four), _losses(one), rtol=1e-4)
    np.testing.assert_allclose([r["lr"] for r in four.history], [r["lr"] for r in one.history], rtol=1e-6)
