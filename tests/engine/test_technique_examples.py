"""Issue #3: every technique's example trains (as `main.py train` does) to a test accuracy
within 3 points of its plain counterpart. Slow-ish (about 20 s a project), still in make test."""
from __future__ import annotations

import json

import pytest

from tests.conftest import EXAMPLES

PAIRS = {
    "digits_swish": "digits_cnn",
    "digits_octconv": "digits_cnn",
    "digits_pba": "digits_cnn",
    "digits_clr": "digits_cnn",
    "digits_free_adv": "digits_cnn",
    "digits_noise": "digits_mlp",
    "digits_jumpout": "digits_mlp",
    "digits_excitation_dropout": "digits_mlp",
    "digits_swapout": "residual_cnn",
    "seq_digits_zoneout": "seq_digits_lstm",
}


def _test_accuracy(example_run, name: str) -> float:
    """The test accuracy of the example's run (trained once per session, see conftest)."""
    record = json.loads((example_run(name) / "run.json").read_text())
    assert record["stop_reason"] == "completed", record["message"]
    return record["metrics"]["test"]["accuracy"]


@pytest.mark.slow
@pytest.mark.parametrize("technique", [t for t in PAIRS if (EXAMPLES / f"{t}.sprout").exists()])
def test_technique_example_is_within_3_points_of_plain(technique, example_run):
    plain = PAIRS[technique]
    acc, base = _test_accuracy(example_run, technique), _test_accuracy(example_run, plain)
    assert acc >= base - 0.03, f"{technique} {acc:.4f} vs {plain} {base:.4f}"
