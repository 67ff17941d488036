"""Device presets and the gauges' numbers: flash = parameters x bytes, RAM = live activations."""
from __future__ import annotations

import pytest

from engine.analysis.device import (
    WEIGHT_BYTES,
    DeviceError,
    device_lines,
    device_named,
    estimate,
    load_devices,
    peak_activation_bytes,
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


@pytest.mark.parametrize("precision", ["int8", "float16", "float32"])
def test_flash_is_parameters_times_bytes_and_latency_macs_over_rate(example_path, precision):
    project = open_project(example_path("digits_cnn"))
    analysis = analyze(project.document)
    m4 = device_named("cortex-m4")
    est = estimate(project.document, analysis, m4, precision)
    assert est.flash_bytes == 35914 * WEIGHT_BYTES[precision]
    assert est.latency_s == pytest.approx(330368 / 5.0e7)
    lines = device_lines(est, 32, 256)
    assert lines[0].over == (est.flash_bytes > 32 * 1024)


def test_peak_ram_counts_tensors_alive_together(example_path):
    """digits_cnn is a chain: the peak is the largest input + output pair (8x8x32 into the pool, 4x4x32 out)."""
    project = open_project(example_path("digits_cnn"))
    analysis = analyze(project.document)
    assert peak_activation_bytes(project.document, analysis, 4) == (8 * 8 * 32 + 4 * 4 * 32) * 4
    residual = open_project(example_path("residual_cnn"))
    res = analyze(residual.document)
    chain = max(sum(r.cost.activation_bytes for r in [res.nodes[u]]) for u in res.order)
    assert peak_activation_bytes(residual.document, res, 4) > chain  # a skip keeps a tensor alive
