"""Device presets and the gauges' numbers: flash = parameters x bytes, RAM = live activations + arena margin."""
from __future__ import annotations

import pytest

from engine.analysis.budget import check_budget
from engine.analysis.device import (
    WEIGHT_BYTES,
    DeviceError,
    budget_estimate,
    device_named,
    estimate,
    load_devices,
)
from engine.analysis.graph import analyze
from engine.train.workflow import open_project


def test_presets_load_and_a_bad_name_lists_the_known_ones(tmp_path):
    ids = [d.id for d in load_devices()]
    assert ids[:2] == ["cortex-m4", "esp32-s3"] and "custom" in ids
    m4 = device_named("cortex-m4")
    assert (m4.flash_kb, m4.ram_kb) == (1024, 256)
    with pytest.raises(DeviceError, match="unknown device 'z80'; choose one of cortex-m4, esp32-s3"):
        device_named("z80")
    bad = tmp_path / "d.json"
    bad.write_text('{"devices": [{"id": "x"}]}')
    with pytest.raises(DeviceError, match="not a valid device preset file"):
        load_devices(bad)


def _totals(example_path, name):
    return analyze(open_project(example_path(name)).document).totals()


@pytest.mark.parametrize("precision", ["int8", "float16", "float32"])
def test_flash_is_parameters_times_bytes_and_latency_macs_over_rate(example_path, precision):
    totals = _totals(example_path, "digits_cnn")
    est = estimate(totals, device_named("cortex-m4"), precision)
    assert est.flash_bytes == 35914 * WEIGHT_BYTES[precision]  # digits_cnn: 35,914 parameters
    assert est.latency_s == pytest.approx(330368 / 5.0e7)  # 330,368 MACs at 50 M MAC/s


def test_peak_ram_counts_tensors_alive_together(example_path):
    """digits_cnn is a chain: the peak is the largest input + output pair (8x8x32 into the pool, 4x4x32 out)."""
    totals = _totals(example_path, "digits_cnn")
    assert totals["peak_activation_values"] == 8 * 8 * 32 + 4 * 4 * 32
    residual = analyze(open_project(example_path("residual_cnn")).document)
    biggest_pair = max(sum(s[1] * s[2] * s[3] for s in r.out_shapes) for r in residual.nodes.values()
                       if r.out_shapes and len(r.out_shapes[0]) == 4)
    assert residual.peak_values > biggest_pair  # a skip keeps a third tensor alive


def test_the_peak_sweep_is_linear_on_a_long_chain():
    """20,000 Dense nodes: the peak is one sweep (the first, quadratic version took minutes here)."""
    import time

    from blocks import default_registry
    from engine.model.project import parse_project
    from tests.bench.bench_check import chain_text

    doc = parse_project(chain_text(20_000), default_registry()).document
    start = time.perf_counter()
    analysis = analyze(doc)
    assert analysis.peak_values == 8  # each Dense(4) reads 4 values and writes 4
    assert time.perf_counter() - start < 20


def test_the_budget_gauges_follow_the_device_and_turn_red_over_it(example_path):
    totals = _totals(example_path, "digits_cnn")
    budget = {"device": "cortex-m4", "flash_kb": 32, "ram_kb": 256, "max_latency_ms": 5}
    lines = {line.key: line for line in check_budget(totals, budget)}
    assert lines["flash_kb"].name == "Flash (KB, int8)"  # the device's precision
    assert lines["flash_kb"].used == pytest.approx(35914 / 1024) and lines["flash_kb"].over  # 35.1 KB > 32
    assert not lines["ram_kb"].over and lines["ram_kb"].used > 2560 / 1024
    assert lines["max_latency_ms"].used == pytest.approx(330368 / 5.0e7 * 1000) and lines["max_latency_ms"].over
    as_float = {line.key: line for line in check_budget(totals, {**budget, "precision": "float32"})}
    assert as_float["flash_kb"].used == pytest.approx(4 * 35914 / 1024)
    faster = budget_estimate(totals, {**budget, "macs_per_s": 1e9})
    assert faster.latency_s == pytest.approx(330368 / 1e9)
    assert check_budget(totals, {"device": "no-such-device", "flash_kb": 64})[3].name == "Flash (KB, int8)"


@pytest.mark.slow
@pytest.mark.parametrize("stem", ["digits_cnn", "residual_cnn", "digits_mlp"])
def test_peak_ram_agrees_with_the_interpreters_arena(stem, example_path, export_of):
    """The graph's estimate against the arena of the example's converted files (LiteRT's tensor table).

    Stated tolerance: the activation peak equals the interpreter's live-tensor peak
    within 16 bytes a tensor of alignment, and the whole RAM estimate (peak + scratch +
    bookkeeping) is within 25% of the arena estimated from the file.
    """
    from engine.export import arena

    totals = _totals(example_path, stem)
    _folder, result = export_of(stem)
    for variant, precision in (("float32", "float32"), ("int8", "int8")):
        (tflite,) = [a.path for a in result.artifacts if a.format == "tflite" and a.variant == variant]
        measured = arena.measure(tflite.read_bytes())
        est = estimate(totals, device_named("cortex-m4"), precision)
        assert abs(est.peak_bytes - measured.peak_bytes) <= 16 * 3, (stem, variant, est, measured)
        assert est.ram_bytes == pytest.approx(measured.arena_bytes, rel=0.25), (stem, variant, est, measured)
        assert budget_estimate(totals, {"precision": precision}, measured.arena_bytes).ram_bytes == \
            measured.arena_bytes
