"""The training section's numbers: out-of-range values get one readable line (issue 9, item 6)."""
from __future__ import annotations

import pytest

from engine.errors import TrainingError
from engine.train.config import TrainConfig, short_repr


@pytest.mark.parametrize("key, value", [
    ("epochs", 10**400), ("epochs", float("inf")), ("batch_size", -(10**30)), ("seed", 2**64),
    ("learning_rate", 10**400), ("early_stopping", float("nan")), ("epochs", "3"), ("epochs", True),
])
def test_bad_numbers_are_one_line_training_errors(key, value):
    with pytest.raises(TrainingError) as info:
        TrainConfig.from_dict({key: value})
    text = str(info.value)
    assert f"training.{key}" in text and "\n" not in text and len(text) < 160


def test_a_huge_integer_is_shown_short():
    assert short_repr(10**400).endswith("(401 digits)") and len(short_repr(10**400)) < 50
    assert short_repr(12) == "12"


def test_good_values_pass_and_overrides_win():
    cfg = TrainConfig.from_dict({"epochs": 3, "learning_rate": 0.01}, epochs=5)
    assert cfg.epochs == 5 and cfg.learning_rate == 0.01
