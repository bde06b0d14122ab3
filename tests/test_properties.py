"""Property-based tests: the table loader and the balance plan never fail with a raw exception.

Any DataFrame (or its CSV) either becomes a valid `LabeledDataset` or raises `InvalidDataError`;
any label vector and ``sampling_strategy`` either give a consistent plan or `InvalidDataError`.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from augment import InvalidDataError, balance_plan, load_dataset
from augment.data import LabeledDataset, dataset_from_frame, make_splits

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

names = st.text(min_size=1, max_size=8)
floats = st.floats(allow_nan=True, allow_infinity=True, width=64)
cells = {
    "int": st.integers(-(2**40), 2**40),
    "float": floats,
    "finite": st.floats(-1e6, 1e6),
    "text": st.text(max_size=5),
    "bool": st.booleans(),
    "date": st.datetimes().map(pd.Timestamp),
    "nan": st.just(np.nan),
    "mixed": st.one_of(st.integers(-5, 5), st.text(max_size=3), st.none(), st.booleans()),
}
labels = st.one_of(
    st.sampled_from(["a", "b", "c", "ü", "1"]),
    st.integers(0, 3),
    st.booleans(),
    st.sampled_from([np.nan, 1.0, 2.5]),
)


@st.composite
def frames(draw) -> tuple[pd.DataFrame, str]:
    n = draw(st.integers(0, 25))
    cols = draw(st.lists(names, min_size=1, max_size=5, unique=True))
    data = {}
    for c in cols:
        kind = draw(st.sampled_from(sorted(cells)))
        data[c] = draw(st.lists(cells[kind], min_size=n, max_size=n))
    label = draw(st.one_of(st.sampled_from(cols), names))
    if label in data and draw(st.booleans()):
        data[label] = draw(st.lists(labels, min_size=n, max_size=n))
    return pd.DataFrame(data), label


# valid tables: 2-4 classes of at least 2 rows each, 1-4 feature columns of one kind each, no
# missing values; every one must load (the tests above rarely reach `assert_valid`: most random
# frames are rightly rejected, so these make sure the valid path is exercised too)
valid_cells = {
    "int": st.integers(-(2**40), 2**40),
    "finite": st.floats(-1e6, 1e6),
    "text": st.text(min_size=1, max_size=5),
    "bool": st.booleans(),
    "date": st.datetimes().map(pd.Timestamp),
}


@st.composite
def valid_frames(draw) -> tuple[pd.DataFrame, str]:
    classes = draw(
        st.lists(
            st.sampled_from(["a", "ü", "x y", 1, 2.5, True]), min_size=2, max_size=4, unique=True
        )
    )
    counts = draw(st.lists(st.integers(2, 6), min_size=len(classes), max_size=len(classes)))
    y = draw(st.permutations([c for c, k in zip(classes, counts, strict=True) for _ in range(k)]))
    *cols, label = draw(st.lists(names, min_size=2, max_size=5, unique=True))
    data = {}
    for c in cols:
        kind = draw(st.sampled_from(sorted(valid_cells)))
        event(f"valid frame column: {kind}")
        data[c] = draw(st.lists(valid_cells[kind], min_size=len(y), max_size=len(y)))
    data[label] = y
    return pd.DataFrame(data), label


def assert_valid(d: LabeledDataset, missing: str) -> None:
    assert d.kind == "table" and len(d.X) == len(d.y) > 0
    assert d.label not in d.X.columns
    assert sorted(d.continuous + d.discrete) == sorted(d.X.columns)
    assert len(set(d.class_names)) == len(d.class_names) >= 2
    assert all(isinstance(n, str) for n in d.class_names)
    counts = np.bincount(d.y, minlength=d.n_classes)
    assert d.y.min() >= 0 and d.y.max() < d.n_classes and counts.min() >= 2
    if missing != "impute":
        assert not d.X.isna().to_numpy().any()
        for c in d.continuous:
            assert np.isfinite(d.X[c].to_numpy(dtype=float)).all()


@SETTINGS
@given(frames(), st.sampled_from(["error", "drop", "impute"]))
def test_dataframe_loader_valid_or_invalid_data_error(frame, missing):
    df, label = frame
    try:
        d = dataset_from_frame(df, label, "t", missing)
    except InvalidDataError as err:
        event(f"rejected: {_reason(err)}")
        return
    event("loaded")
    assert_valid(d, missing)
    if missing == "impute":  # filled from the train split when the split is made
        try:
            splits = make_splits(d, 0.3, 0, [], 1.0)
        except InvalidDataError:
            return
        for part in (splits.train, splits.test):
            assert not part.X.isna().to_numpy().any()


@SETTINGS
@given(frames())
def test_csv_roundtrip_valid_or_invalid_data_error(frame):
    df, label = frame
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "t.csv"
        df.to_csv(path, index=False)
        try:
            d = load_dataset(path, label)
        except InvalidDataError as err:
            event(f"rejected: {_reason(err)}")
            return
    event("loaded")
    assert_valid(d, "error")


def _reason(err: InvalidDataError) -> str:
    """The kind of rejection, without the file name and values (a few event labels, not one
    per example)."""
    text = str(err).split(": ", 1)[-1]
    for needle in (
        "label column",
        "class",
        "missing",
        "no rows",
        "no columns",
        "duplicate",
        "no features",
        "empty",
        "cannot be read",
    ):
        if needle in text:
            return needle
    return "other"


@SETTINGS
@given(valid_frames())
def test_valid_frames_always_load(frame):
    df, label = frame
    d = dataset_from_frame(df, label, "t")
    assert_valid(d, "error")
    assert len(d) == len(df) and d.n_classes == df[label].astype(str).nunique()
    assert sorted(d.X.columns) == sorted(c for c in df.columns if c != label)


strategies = st.one_of(
    st.sampled_from(["auto", "minority", "not minority", "not majority", "all"]),
    st.text(max_size=6),
    st.floats(-1, 2),
    st.dictionaries(st.sampled_from(["a", "b", "c", "zz", 0, 1]), st.integers(-5, 60)),
)


@SETTINGS
@given(
    st.lists(st.integers(1, 20), min_size=1, max_size=5),
    st.booleans(),
    strategies,
)
def test_balance_plan_consistent_or_invalid_data_error(counts, as_text, strategy):
    classes = [["a", "b", "c", "d", "e"][i] if as_text else i for i in range(len(counts))]
    y = np.repeat(np.array(classes, dtype=object if as_text else int), counts)
    try:
        plan = balance_plan(y, strategy)
    except InvalidDataError:
        return
    have = dict(zip(classes, counts, strict=True))
    assert set(plan) == set(have)
    assert all(isinstance(v, int) and v >= 0 for v in plan.values())
    if strategy in ("auto", "not majority"):
        assert all(
            have[c] + plan[c] == max(counts) for c in have if plan[c] or have[c] < max(counts)
        )
    if isinstance(strategy, dict):
        for k, target in strategy.items():
            c = next(c for c in have if str(c) == str(k))
            assert have[c] + plan[c] == target
