"""Column dtypes are normalised in one place at load (issue 26.5): pandas' nullable and
extension dtypes, categories, dates and durations become the few dtypes the arms and the GANs
handle, or are refused with one line naming the column, its dtype and what to do."""

from __future__ import annotations

import datetime
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from augment import InvalidDataError, TabularCGAN
from augment.arms import training_set
from augment.balance import balance_plan
from augment.data import dataset_from_frame, load_dataset, make_splits
from augment.gan import TabularGANConfig

N = 40
INTS = np.arange(N) % 5
TEXT = pd.Series(["a"]).dtype  # pandas' own dtype for text (read_csv's)
F64, I64 = np.dtype("float64"), np.dtype("int64")


def _with_na(values: list) -> list:
    return [None, *values[1:]]


# the column under test: (values, dtype after loading, continuous or discrete)
CONVERTED = {
    "Int64": (pd.array(INTS, dtype="Int64"), I64, "continuous"),
    "Int64 with NA": (pd.array(_with_na(list(INTS)), dtype="Int64"), F64, "continuous"),
    "UInt8": (pd.array(INTS, dtype="UInt8"), np.dtype("uint8"), "continuous"),
    # uint64 (read_csv's dtype for integers past 2**63 - 1): int64 where every value fits,
    # else float64 (MLflow's schema has no unsigned 64-bit integer: it refused the model)
    "uint64": (INTS.astype("uint64"), I64, "continuous"),
    "UInt64": (pd.array(INTS, dtype="UInt64"), I64, "continuous"),
    "uint64 past int64": (INTS.astype("uint64") + np.uint64(2**63), F64, "continuous"),
    "Float64 with NA": (pd.array(_with_na(list(INTS / 2)), dtype="Float64"), F64, "continuous"),
    "int64[pyarrow]": (pd.array(INTS, dtype="int64[pyarrow]"), I64, "continuous"),
    "Sparse[int]": (pd.arrays.SparseArray(INTS), I64, "continuous"),
    "boolean": (pd.array(INTS % 2 == 0, dtype="boolean"), np.dtype(bool), "discrete"),
    "boolean with NA": (
        pd.array(_with_na(list(INTS % 2 == 0)), dtype="boolean"),
        np.dtype(object),
        "discrete",
    ),
    "string": (pd.array(["u", "v"] * (N // 2), dtype="string"), TEXT, "discrete"),
    "string with NA": (pd.array(_with_na(["u", "v"] * (N // 2)), dtype="string"), TEXT, "discrete"),
    "category": (pd.Categorical(["u", "v"] * (N // 2)), TEXT, "discrete"),
    "category of ints": (pd.Categorical(INTS), TEXT, "discrete"),
    "datetime64": (pd.date_range("2020-01-01", periods=N, freq="D"), F64, "continuous"),
    "datetime64 tz": (
        pd.date_range("2020-01-01", periods=N, freq="h", tz="Europe/Paris"),
        F64,
        "continuous",
    ),  # fmt: skip
    "datetime64 with NaT": (pd.to_datetime(_with_na(["2020-01-02"] * N)), F64, "continuous"),
    "timedelta64": (pd.to_timedelta(INTS, unit="s"), F64, "continuous"),
    "period": (pd.period_range("2020-01", periods=N, freq="M"), F64, "continuous"),
    "Decimal objects": (
        pd.array([Decimal(int(i)) for i in INTS], dtype=object),
        F64,
        "continuous",
    ),  # fmt: skip
    "date objects": (
        pd.array([datetime.date(2020, 1, 1 + int(i)) for i in INTS], dtype=object),
        F64,
        "continuous",
    ),  # fmt: skip
}
REFUSED = {
    "interval": (pd.arrays.IntervalArray.from_breaks(range(N + 1)), "interval"),
    "complex": (INTS + 1j, "complex"),
    "bytes": (pd.array([b"u", b"v"] * (N // 2), dtype=object), "bytes"),
    "dates and text": (
        pd.array([pd.Timestamp("2020-01-01"), "u"] * (N // 2), dtype=object),
        "mixes",
    ),  # fmt: skip
    "time objects": (pd.array([datetime.time(1, 2)] * N, dtype=object), "time"),
}


def _frame(column) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    y = np.array(["p"] * 28 + ["q"] * 12)
    return pd.DataFrame({"f": column, "n": rng.normal(size=N), "y": y})


@pytest.mark.parametrize("name", list(CONVERTED))
def test_dtype_is_normalised_at_load(name):
    column, dtype, kind = CONVERTED[name]
    data = dataset_from_frame(_frame(column), "y", "t", missing="impute")
    assert data.X["f"].dtype == dtype, (name, data.X["f"].dtype)
    assert "f" in (data.continuous if kind == "continuous" else data.discrete)
    assert data.X["n"].dtype == F64 and data.class_names == ["p", "q"]
    na = pd.isna(pd.Series(column, dtype=object)).to_numpy()
    assert (data.X["f"].isna().to_numpy() == na).all()  # NA stays missing: the policy applies


def test_converted_values():
    def loaded(column):
        return dataset_from_frame(_frame(column), "y", "t", missing="impute").X["f"]

    assert loaded(pd.to_timedelta(INTS, unit="s")).tolist() == INTS.astype(float).tolist()
    start = pd.Timestamp("2020-01-01")
    assert loaded(pd.date_range(start, periods=N, freq="D"))[1] == start.timestamp() + 86400
    assert loaded(pd.date_range(start, periods=N, freq="h", tz="UTC"))[0] == start.timestamp()
    assert sorted(set(loaded(pd.Categorical(INTS)))) == ["0", "1", "2", "3", "4"]
    assert loaded(pd.array(INTS, dtype="Int64")).tolist() == INTS.tolist()


def test_missing_policy_applies_to_converted_na():
    column = pd.array(_with_na(list(INTS)), dtype="Int64")
    with pytest.raises(InvalidDataError, match="feature column 'f' has 1 missing value"):
        dataset_from_frame(_frame(column), "y", "t")
    assert len(dataset_from_frame(_frame(column), "y", "t", missing="drop")) == N - 1


@pytest.mark.parametrize("name", list(REFUSED))
def test_unusable_dtype_is_refused_with_one_line(name):
    column, word = REFUSED[name]
    with pytest.raises(InvalidDataError) as err:
        dataset_from_frame(_frame(column), "y", "t")
    msg = str(err.value)
    assert msg.startswith("t: column 'f' ") and word in msg and "\n" not in msg, msg


def test_label_dtypes_are_normalised_too():
    frame = _frame(np.arange(N, dtype=float))
    for label, names in [
        (pd.array(["p", "q"] * (N // 2), dtype="string"), ["p", "q"]),
        (pd.Categorical(["p", "q"] * (N // 2)), ["p", "q"]),
        (pd.array([1, 2] * (N // 2), dtype="Int64"), ["1", "2"]),
        (pd.array([True, False] * (N // 2), dtype="boolean"), ["False", "True"]),
        (pd.to_datetime(["2020-01-01", "2021-01-01"] * (N // 2)), ["2020-01-01", "2021-01-01"]),
    ]:
        assert dataset_from_frame(frame.assign(y=label), "y", "t").class_names == names, label
    with pytest.raises(InvalidDataError, match="label column 'y' has 1 missing"):
        dataset_from_frame(frame.assign(y=pd.array(_with_na([1, 2] * 20), dtype="Int64")), "y", "t")


PARQUET_COLUMNS = [
    "Int64", "Int64 with NA", "Float64 with NA", "boolean", "boolean with NA", "string with NA",
    "category", "datetime64 tz", "datetime64 with NaT", "timedelta64", "date objects",
    "Decimal objects",
]  # fmt: skip


def _parquet(tmp_path):
    """One Parquet file with a column of each dtype Parquet keeps (the issue's reports)."""
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({f"c{i}": CONVERTED[k][0] for i, k in enumerate(PARQUET_COLUMNS)})
    frame["x"] = rng.normal(size=N) + np.r_[np.zeros(28), np.ones(12)]
    frame["y"] = ["p"] * 28 + ["q"] * 12
    path = tmp_path / "types.parquet"
    frame.to_parquet(path)
    return path


def test_parquet_columns_of_every_dtype_load_as_from_a_frame(tmp_path):
    data = load_dataset(_parquet(tmp_path), "y", missing="impute")
    for i, k in enumerate(PARQUET_COLUMNS):
        assert data.X[f"c{i}"].dtype == CONVERTED[k][1], k


@pytest.mark.usefixtures("one_thread")
def test_smote_and_the_gan_run_on_normalised_dtypes(tmp_path):
    # before: a 661-line traceback in the smote arm (Int64), "Timedelta is not JSON serializable"
    # in the GAN fit; both after the run had started
    data = load_dataset(_parquet(tmp_path), "y", missing="impute")
    s = make_splits(data, 0.3, 0, [], 1.0)
    plan = balance_plan(s.train.y)
    X, y = training_set("smote", s, plan, 0)
    assert np.bincount(y)[0] == np.bincount(y)[1] and X.dtypes.equals(s.train.X.dtypes)
    gan = TabularCGAN(TabularGANConfig(epochs=1, hidden=8, critic_hidden=8), random_state=0)
    gan.fit(s.train.X, s.train.y)
    X, y = training_set("gan", s, plan, 0, gan)
    assert list(X.columns) == list(s.train.X.columns) and len(X) == len(y)


def test_a_run_logs_its_classifier_on_integers_past_int64(tmp_path, mlflow_tmp):
    # before: "Can not safely convert uint64 to int64" when the run logged its classifier,
    # after the whole run (found by the long fuzz profile, seed 20261211)
    import json

    from augment.cli import main

    rng = np.random.default_rng(2)
    frame = _frame(rng.integers(0, 2**63, N, dtype="uint64") + np.uint64(2**63))
    frame.to_csv(tmp_path / "big.csv", index=False)
    assert pd.read_csv(tmp_path / "big.csv")["f"].dtype == np.dtype("uint64")
    out = tmp_path / "s.json"
    args = ["run", "--data", str(tmp_path / "big.csv"), "--label", "y", "--arms", "baseline"]
    assert main([*args, "--seeds", "1", "--json", str(out), "--no-progress"]) == 0
    assert json.loads(out.read_text())["arms"]["baseline"]


def test_preflight_accepts_and_refuses(tmp_path, monkeypatch):
    from augment.config import build_config
    from augment.experiment.preflight import preflight

    monkeypatch.chdir(tmp_path)
    path = _parquet(tmp_path)
    data = {"source": str(path), "label": "y", "missing": "impute"}
    cfg = build_config({"data": data, "arms": ["baseline", "smote"], "seeds": 1})
    assert preflight(cfg, tracking=False).arms == ["baseline", "smote"]
    bad = tmp_path / "bad.parquet"
    pd.read_parquet(path).assign(c0=pd.arrays.IntervalArray.from_breaks(range(N + 1))).to_parquet(
        bad
    )
    cfg = build_config({"data": data | {"source": str(bad)}, "arms": ["baseline"], "seeds": 1})
    with pytest.raises(InvalidDataError, match=rf"^{bad}: column 'c0' has dtype interval"):
        preflight(cfg, tracking=False)
    assert not (tmp_path / ".augment").exists()


def test_the_loads_warnings_are_one_line(caplog):
    """Each load-time warning (a column used as seconds, integers past int64, rows dropped for
    missing values, codes treated as categories) was a line of its own: a table with a few of
    them put 4 or more lines on stderr (found by the fuzzer's long profile, seed 20261212)."""
    import logging

    frame = _frame(pd.date_range("2020-01-01", periods=N, freq="D")).assign(
        d=pd.to_timedelta(INTS, unit="s"),
        big=INTS.astype("uint64") + np.uint64(2**63),
        gap=[np.nan] + [1.5] * (N - 1),
    )
    with caplog.at_level(logging.WARNING, logger="augment"):
        data = dataset_from_frame(frame, "y", "t", missing="drop")
    assert len(data) == N - 1
    said = [r.getMessage() for r in caplog.records if r.name.startswith("augment.data")]
    assert len(said) == 1, said
    for part in ("'f'", "'d'", "'big'", "dropping 1 row(s)"):
        assert part in said[0], said
    assert said[0].startswith("t: ") and said[0].count("t: ") == 1, said
