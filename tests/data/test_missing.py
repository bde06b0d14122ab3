"""`augment.data.missing` on its own: reject, drop or impute missing and infinite features."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest

from augment import InvalidDataError
from augment.data import LabeledDataset
from augment.data.missing import apply_missing_policy, impute_splits


def _table():
    X = pd.DataFrame(
        {
            "a": [1.0, np.nan, 3.0, 4.0, np.inf],
            "b": [10.0, 20.0, 30.0, 40.0, 50.0],
            "city": ["Lyon", "Nice", None, "Lyon", "Nice"],
        }
    )
    return X, pd.Series(["x", "y", "x", "y", "x"])


def _ds(X: pd.DataFrame, name: str = "t") -> LabeledDataset:
    return LabeledDataset(
        name=name,
        X=X,
        y=np.zeros(len(X), dtype=np.int64),
        class_names=["x"],
        kind="table",
        continuous=[c for c in X.columns if c != "city"],
        discrete=["city"] if "city" in X.columns else [],
        label="y",
    )


def test_clean_table_is_returned_as_it_is_under_every_policy():
    X = pd.DataFrame({"a": [1.0, 2.0], "city": ["Lyon", "Nice"]})
    y = pd.Series(["x", "y"])
    for policy in ("error", "drop", "impute"):
        X_out, y_out = apply_missing_policy(X, y, ["a"], "f.csv", policy)
        assert X_out is X and y_out is y


def test_unknown_policy_is_named():
    X, y = _table()
    with pytest.raises(InvalidDataError, match=r"missing='fill' is not allowed.*error, drop"):
        apply_missing_policy(X, y, ["a", "b"], "f.csv", "fill")


def test_error_names_the_first_bad_column_and_counts_its_nans():
    X, y = _table()
    with pytest.raises(InvalidDataError, match=r"f\.csv: feature column 'a' has 1 missing"):
        apply_missing_policy(X, y, ["a", "b"], "f.csv", "error")


def test_error_on_infinity_alone_says_infinite_with_the_count():
    X = pd.DataFrame({"a": [1.0, np.inf, -np.inf], "b": [1.0, 2.0, 3.0]})
    y = pd.Series(["x", "y", "x"])
    with pytest.raises(InvalidDataError, match=r"column 'a' has 2 infinite value\(s\)"):
        apply_missing_policy(X, y, ["a", "b"], "f.csv", "error")


def test_infinity_in_a_discrete_column_is_not_checked_as_a_number():
    # only the continuous columns are tested for inf: a text column cannot hold one
    X = pd.DataFrame({"a": [1.0, 2.0], "city": ["Lyon", "Nice"]})
    out, _ = apply_missing_policy(X, pd.Series(["x", "y"]), ["a"], "f.csv", "error")
    assert out is X


def test_drop_removes_rows_with_nan_or_inf_and_keeps_labels_aligned(caplog):
    X, y = _table()
    with caplog.at_level(logging.WARNING, logger="augment.data.missing"):
        X_out, y_out = apply_missing_policy(X, y, ["a", "b"], "f.csv", "drop")
    assert X_out["b"].tolist() == [10.0, 40.0]  # rows 1 (nan), 2 (None), 4 (inf) dropped
    assert y_out.tolist() == ["x", "y"]
    assert list(X_out.index) == [0, 1] and list(y_out.index) == [0, 1]
    assert "f.csv: dropping 3 row(s)" in caplog.text


def test_drop_with_nothing_left_names_the_empty_column():
    X = pd.DataFrame({"a": [np.nan, np.nan], "b": [1.0, np.nan]})
    with pytest.raises(InvalidDataError, match=r"every row has a missing value.*\['a'\]"):
        apply_missing_policy(X, pd.Series(["x", "y"]), ["a", "b"], "f.csv", "drop")


def test_drop_with_nothing_left_but_no_empty_column_says_only_that():
    X = pd.DataFrame({"a": [np.nan, 1.0], "b": [1.0, np.nan]})
    with pytest.raises(InvalidDataError) as err:
        apply_missing_policy(X, pd.Series(["x", "y"]), ["a", "b"], "f.csv", "drop")
    assert "nothing left to use" in str(err.value) and "column(s)" not in str(err.value)


def test_impute_keeps_rows_turns_inf_into_nan_and_leaves_the_input_alone():
    X, y = _table()
    X_out, y_out = apply_missing_policy(X, y, ["a", "b"], "f.csv", "impute")
    assert len(X_out) == 5 and y_out is y
    assert X_out["a"].isna().tolist() == [False, True, False, False, True]
    assert np.isinf(X["a"].iloc[4])  # the caller's frame is not modified


def test_impute_splits_fills_with_train_statistics_only():
    train = _ds(
        pd.DataFrame(
            {
                "a": [1.0, 2.0, 10.0, np.nan],
                "b": [5.0, 5.0, 5.0, 5.0],
                "city": ["Nice", "Lyon", "Lyon", None],
            }
        ),
        "train",
    )
    test = _ds(pd.DataFrame({"a": [np.nan, 100.0], "b": [1.0, 2.0], "city": [None, "Paris"]}))
    new_train, (new_test, none) = impute_splits(train, [test, None])
    assert none is None
    assert new_train.X["a"].tolist() == [1.0, 2.0, 10.0, 2.0]  # the median, not the mean
    assert new_train.X["city"].tolist() == ["Nice", "Lyon", "Lyon", "Lyon"]  # most frequent
    # the test split gets the train values, never its own (100 would move a test median)
    assert new_test.X["a"].tolist() == [2.0, 100.0]
    assert new_test.X["city"].tolist() == ["Lyon", "Paris"]
    assert train.X["a"].isna().sum() == 1  # inputs untouched (frozen datasets, copied frames)
    assert new_train.y is train.y and new_train.name == "train"


def test_impute_splits_most_frequent_ties_go_to_the_first_seen():
    train = _ds(pd.DataFrame({"a": [1.0, 2.0, 3.0], "city": ["Nice", "Lyon", None]}))
    new_train, _ = impute_splits(train, [])
    assert new_train.X["city"].tolist() == ["Nice", "Lyon", "Nice"]


def test_impute_splits_without_nan_or_for_images_returns_the_same_objects():
    train = _ds(pd.DataFrame({"a": [1.0, 2.0], "city": ["Nice", "Lyon"]}))
    others = [None]
    assert impute_splits(train, others) == (train, others)
    assert impute_splits(train, others)[0] is train
    images = LabeledDataset("img", np.full((2, 1, 2, 2), np.nan), np.zeros(2, int), ["x"], "image")
    assert impute_splits(images, others)[0] is images


def test_impute_splits_only_nan_in_another_split_still_fills_it():
    train = _ds(pd.DataFrame({"a": [1.0, 3.0], "city": ["Nice", "Nice"]}))
    test = _ds(pd.DataFrame({"a": [np.nan, 5.0], "city": ["Lyon", None]}))
    _, (new_test,) = impute_splits(train, [test])
    assert new_test.X["a"].tolist() == [2.0, 5.0]
    assert new_test.X["city"].tolist() == ["Lyon", "Nice"]


def test_impute_splits_column_empty_in_train_is_named():
    train = _ds(pd.DataFrame({"a": [np.nan, np.nan], "b": [1.0, 2.0]}), "train.csv")
    with pytest.raises(InvalidDataError, match=r"train\.csv: feature column 'a' has no value"):
        impute_splits(train, [])
