import time

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


def test_a_huge_nested_value_is_refused_with_a_short_message():
    # a YAML alias bomb is shared lists: quoting it whole in the error took minutes (issue 26.5)
    bomb = ["x"] * 8
    for _ in range(7):
        bomb = [bomb] * 8  # 8**8 strings once printed
    start = time.perf_counter()
    with pytest.raises(InvalidDataError, match=r"^sampling_strategy=\[\[\[\.\.\.\]") as err:
        balance_plan(Y, bomb)
    assert len(str(err.value)) < 400 and time.perf_counter() - start < 0.5


@pytest.mark.parametrize(
    ("strategy", "match"),
    [
        (True, "is not allowed"),  # a bool is not the float 1.0
        (float("nan"), "is not allowed"),
        ({1: -3}, r"sampling_strategy\[1\]=-3 is not allowed; a target count is an integer"),
        ({1: 2.5}, "a target count is an integer"),
        ({1: 10**9}, r"0\.\.10000000"),
        ({(1, 2): 3}, "key .* is not allowed"),
    ],
)
def test_shapes_imbalanced_learn_does_not_take_are_refused_by_name(strategy, match):
    with pytest.raises(InvalidDataError, match=match):
        balance_plan(Y, strategy)
