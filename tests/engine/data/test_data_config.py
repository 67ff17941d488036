"""DataConfig.from_dict (issue 9, item 10's engine half): every bad value is one DataError line."""
from __future__ import annotations

import re

import pytest

from engine.data.config import MAX_SEED, DataConfig
from engine.errors import DataError
from tests.engine.data.hostile import one_line


@pytest.mark.parametrize("section, message", [
    ({"val_fraction": "0.2"}, r"data.val_fraction < 0.9. Received: val_fraction='0.2'"),
    ({"test_fraction": True}, r"data.test_fraction < 0.9"),
    ({"test_fraction": 10**400}, r"Received: test_fraction=an integer of about 401 digits"),
    ({"val_fraction": -0.1}, r"data.val_fraction < 0.9"),
    ({"val_fraction": float("nan")}, r"data.val_fraction < 0.9"),
    ({"val_fraction": 0.5, "test_fraction": 0.4}, r"must leave at least 10% for training"),
    ({"seed": -1}, r"data.seed must be between 0 and 4294967295, found -1"),
    ({"seed": 10**400}, r"data.seed must be between 0 and 4294967295, found an integer of about 401 digits"),
    ({"seed": 2**32}, r"data.seed must be between 0 and"),
    ({"seed": 1.5}, r"data.seed must be a whole number, found 1.5"),
    ({"seed": "3"}, r"data.seed must be a whole number"),
    ({"source": ["digits"]}, r"data.source must be a dataset name or a path, found \['digits'\]"),
    ({"source": ""}, r"data.source must be a dataset name or a path"),
    ({"source": {"a": 1}}, r"data.source must be a dataset name or a path"),
    ({"source": "a\0b.csv"}, r"data.source is not a usable path"),
    ({"source": "x" * 5000}, r"data.source is not a usable path, found 'xxx.*\.\.\.$"),
    ({"label": 3}, r"data.label must be a column name, found 3"),
    ({"normalize": "yes"}, r"data.normalize must be true or false, found 'yes'"),
])
def test_bad_values_are_one_data_error_line(section, message):
    with pytest.raises(Exception) as info:  # noqa: PT011 - the class is checked by one_line
        DataConfig.from_dict(section)
    assert one_line(info.value, DataError)
    assert re.search(message, str(info.value)), str(info.value)


@pytest.mark.parametrize("section", [[], "digits", None, 3])
def test_a_section_that_is_not_an_object(section):
    with pytest.raises(DataError, match="the data section must be a JSON object"):
        DataConfig.from_dict(section)


def test_seed_override_is_checked_too():
    with pytest.raises(DataError, match="data.seed must be between"):
        DataConfig.from_dict({}, seed=-5)
    assert DataConfig.from_dict({"seed": 3}, seed=MAX_SEED).seed == MAX_SEED


def test_good_values_pass():
    cfg = DataConfig.from_dict({"source": "iris", "val_fraction": 0, "test_fraction": 0.2, "seed": 7,
                                "label": "species", "normalize": False, "other_tool": [1]})
    assert cfg == DataConfig("iris", 0.0, 0.2, 7, "species", False)
    assert isinstance(cfg.val_fraction, float)
