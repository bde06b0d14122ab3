import numpy as np
import pytest

from augment import InvalidDataError, balance_plan

Y = np.array([0] * 10 + [1] * 4 + [2] * 2)


def test_auto_tops_up_to_majority():
    assert balance_plan(Y, "auto") == {0: 0, 1: 6, 2: 8}
    assert balance_plan(Y, "not majority") == {0: 0, 1: 6, 2: 8}


def test_minority_only():
    assert balance_plan(Y, "minority") == {0: 0, 1: 0, 2: 8}


def test_dict_is_target_totals():
    assert balance_plan(Y, {1: 5, 2: 10}) == {0: 0, 1: 1, 2: 8}
    assert balance_plan(Y, {"2": 4}) == {0: 0, 1: 0, 2: 2}  # names from YAML are strings


def test_float_binary():
    y = np.array([0] * 10 + [1] * 2)
    assert balance_plan(y, 0.5) == {0: 0, 1: 3}


@pytest.mark.parametrize(
    ("strategy", "match"),
    [
        ("most", "is not allowed"),
        ({7: 10}, "unknown class"),
        ({1: 1}, "sampling_strategy"),  # fewer than present
        (0.5, "sampling_strategy"),  # float needs a binary target
    ],
)
def test_invalid(strategy, match):
    with pytest.raises(InvalidDataError, match=match):
        balance_plan(Y, strategy)
