"""Property-based: `ConditionalGANOverSampler` on generated DataFrames of every pandas dtype.

A user's frame goes into ``fit_resample`` as it is (an imbalanced-learn pipeline step). For any
frame of numbers, nullable integers / floats / booleans, text (object or ``string`` dtype),
categories, datetimes and missing values, under any column names (``class``, ``label``, digits,
spaces, unicode), with any hashable labels, the sampler either returns the frame's rows first,
unchanged, then the plan's rows with the same columns and dtypes and only values of the
column's kind, or refuses with a ``ValueError`` / ``TypeError`` that says why. Never another
exception, never a mangled frame; the same with the amount tuned (`tune_estimator`).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from augment import ConditionalGANOverSampler

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))

column_names = st.one_of(
    st.sampled_from(["class", "label", "y", "0", "1", "a b", "Type (B)", "ü", "__index__"]),
    st.text(min_size=1, max_size=6),
)


def _column(kind: str, n: int, rng: np.random.Generator) -> pd.Series:
    gaps = rng.random(n) < 0.15  # missing cells where the dtype can hold them
    if kind == "float":
        values = rng.normal(size=n)
        values[gaps] = np.nan
        return pd.Series(values)
    if kind == "int":
        return pd.Series(rng.integers(-50, 50, n))
    if kind == "Int64":
        return pd.Series(pd.array(np.where(gaps, None, rng.integers(0, 9, n)), dtype="Int64"))
    if kind == "Float64":
        values = pd.array(rng.normal(size=n), dtype="Float64")
        values[gaps] = pd.NA
        return pd.Series(values)
    if kind == "bool":
        return pd.Series(rng.random(n) < 0.5)
    if kind == "boolean":
        return pd.Series(pd.array(np.where(gaps, None, rng.random(n) < 0.5), dtype="boolean"))
    if kind == "object":
        return pd.Series(
            np.where(gaps, None, rng.choice(["red", "green", "blue"], n)), dtype=object
        )
    if kind == "string":
        return pd.Series(rng.choice(["x", "y", "z z"], n), dtype="string")
    if kind == "category":
        return pd.Series(pd.Categorical(rng.choice(["lo", "mid", "hi"], n)))
    if kind == "datetime":
        days = rng.integers(0, 365, n)
        return pd.Series(pd.Timestamp("2024-01-01") + pd.to_timedelta(days, unit="D"))
    raise AssertionError(kind)


KINDS = ["float", "int", "Int64", "Float64", "bool", "boolean", "object", "string", "category",
         "datetime"]  # fmt: skip


@st.composite
def tables(draw):
    names = draw(st.lists(column_names, min_size=1, max_size=4, unique=True))
    kinds = draw(st.lists(st.sampled_from(KINDS), min_size=len(names), max_size=len(names)))
    label_kinds = [["a", "Type (B)", "ü", "7", ""], [7, 0, -3], [2.5, 1.0], [True, False]]
    pool = draw(st.sampled_from(label_kinds))  # one type of label per table (mixed: refused, below)
    classes = draw(st.lists(st.sampled_from(pool), min_size=2, max_size=3, unique=True))
    counts = draw(st.lists(st.integers(2, 14), min_size=len(classes), max_size=len(classes)))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    n = sum(counts)
    X = pd.DataFrame({name: _column(kind, n, rng) for name, kind in zip(names, kinds, strict=True)})
    y = np.array([c for c, k in zip(classes, counts, strict=True) for _ in range(k)])
    return X, y[rng.permutation(n)]  # the labels' own dtype (object arrays: below)


def _same_kind(real: pd.Series, made: pd.Series) -> bool:
    """Generated values of a column are of the column's kind (categories stay categories)."""
    made = made.dropna()
    if isinstance(real.dtype, pd.CategoricalDtype):
        return set(made) <= set(real.cat.categories)
    if pd.api.types.is_bool_dtype(real.dtype) or pd.api.types.is_numeric_dtype(real.dtype):
        return True  # the dtype equality below already holds
    if pd.api.types.is_datetime64_any_dtype(real.dtype):
        return True
    return set(made) <= set(real.dropna())  # text: only values seen


@SETTINGS
@given(tables(), st.booleans())
def test_any_frame_is_resampled_with_its_columns_and_dtypes_or_refused_clearly(table, tune):
    from sklearn.dummy import DummyClassifier

    X, y = table
    before = X.copy()
    tuning = {"tune_estimator": DummyClassifier(strategy="stratified"), "tune_step_budget": 1}
    sampler = ConditionalGANOverSampler(
        epochs=1, random_state=0, device="cpu", pool=2, **(tuning if tune else {})
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            X_res, y_res = sampler.fit_resample(X, y)
    except (ValueError, TypeError) as err:
        assert str(err).strip(), "a refusal says why"
        pd.testing.assert_frame_equal(X, before)  # the input is untouched either way
        return
    pd.testing.assert_frame_equal(X, before)
    assert list(X_res.columns) == list(X.columns)
    assert X_res.dtypes.to_dict() == X.dtypes.to_dict()
    pd.testing.assert_frame_equal(X_res.iloc[: len(X)].reset_index(drop=True),
                                  X.reset_index(drop=True))  # fmt: skip
    assert list(y_res[: len(y)]) == list(y)
    made = X_res.iloc[len(X) :]
    labels, counts = np.unique(y_res, return_counts=True)
    assert tune or len(set(counts)) == 1, "balanced to the majority"
    assert len(made) == sum(sampler.sampling_strategy_.values())
    for col in X.columns:
        assert _same_kind(X[col], made[col]), col


@pytest.mark.parametrize("kind", KINDS)
def test_every_dtype_alone_is_resampled(kind):
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"class": _column(kind, 30, rng), "x": rng.normal(size=30)})
    y = np.array(["a"] * 22 + ["Type (B)"] * 8)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        X_res, y_res = ConditionalGANOverSampler(epochs=1, random_state=0, pool=2).fit_resample(
            X, y
        )
    assert X_res.dtypes.to_dict() == X.dtypes.to_dict()
    assert (y_res == "Type (B)").sum() == 22


@pytest.mark.parametrize("y", [["a", 7], ["a", 2.5], ["a", None], ["a", True], ["a", np.nan]])
def test_labels_mixing_text_with_other_types_are_refused_by_name(y):
    X = pd.DataFrame({"x": np.arange(20.0)})
    labels = np.array([y[0]] * 14 + [y[1]] * 6, dtype=object)
    with pytest.raises(ValueError, match=r"y mixes text class labels with \w+ labels .*astype"):
        ConditionalGANOverSampler(epochs=1).fit_resample(X, labels)


@pytest.mark.parametrize("y", [[1, 0], [True, False], [1.0, 0.0]])
def test_numeric_labels_in_an_object_array_are_refused_with_the_fix(y):
    X = pd.DataFrame({"x": np.arange(20.0)})
    labels = np.array([y[0]] * 14 + [y[1]] * 6, dtype=object)
    with pytest.raises(ValueError, match=r"class labels in an object array.*astype\(int\)"):
        ConditionalGANOverSampler(epochs=1).fit_resample(X, labels)
    X_res, y_res = ConditionalGANOverSampler(epochs=1, pool=1).fit_resample(
        X, labels.astype(type(y[0]))
    )
    assert len(y_res) == 28


@pytest.mark.parametrize(
    "y",
    [pd.Series(pd.Categorical([1] * 14 + [0] * 6)), pd.Series([1] * 14 + [0] * 6, dtype="Int64"),
     pd.Series(["a"] * 14 + ["b"] * 6, dtype="string"), pd.Series([True] * 14 + [False] * 6)],
    ids=["category", "Int64", "string", "bool"],
)  # fmt: skip
def test_labels_in_pandas_dtypes_are_taken(y):
    X = pd.DataFrame({"x": np.arange(20.0)})
    X_res, y_res = ConditionalGANOverSampler(epochs=1, pool=1).fit_resample(X, y)
    assert len(y_res) == 28 and len(X_res) == 28
