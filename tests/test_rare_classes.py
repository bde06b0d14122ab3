"""Rare classes: a class too small to split is named with its count, and can be dropped
(``data.min_class_rows``), said on stderr and recorded in the splits (and the summary)."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest

from augment.config import DataConfig, build_config
from augment.data import dataset_from_frame, make_splits
from augment.exceptions import ConfigError, InvalidDataError
from augment.experiment import prepare


def _frame(tiny: int = 2, n: int = 600) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    y = np.array(["a"] * (n // 2) + ["b"] * (n - n // 2 - tiny) + ["tiny"] * tiny)
    return pd.DataFrame({"x": rng.normal(size=n), "z": rng.normal(size=n), "y": y})


def test_a_class_too_small_to_split_is_named_with_its_count():
    data = dataset_from_frame(_frame(), "y", "t.csv")
    with pytest.raises(InvalidDataError) as err:
        make_splits(data, 0.3, 0, [], 1.0)
    msg = str(err.value)
    assert "class 'tiny' has 2 rows" in msg and "min_class_rows" in msg
    assert "600 rows are too few" not in msg


def test_min_class_rows_drops_the_rare_classes_and_says_so(caplog):
    data = dataset_from_frame(_frame(), "y", "t.csv")
    with caplog.at_level(logging.WARNING, logger="augment.data.split"):
        splits = make_splits(data, 0.3, 0, [], 1.0, min_class_rows=5)
    assert splits.dropped_classes == {"tiny": 2}
    assert splits.train.class_names == splits.test.class_names == ["a", "b"]
    assert len(splits.train) + len(splits.test) == 598
    said = [r.getMessage() for r in caplog.records if "tiny" in r.getMessage()]
    assert len(said) == 1 and "min_class_rows=5" in said[0] and "'tiny' (2 rows)" in said[0]
    assert "\n" not in said[0]
    # by default nothing is dropped
    ten = dataset_from_frame(_frame(tiny=10), "y", "t.csv")
    assert make_splits(ten, 0.3, 0, [], 1.0).dropped_classes == {}


def test_a_one_row_class_of_a_file_is_dropped_too(tmp_path):
    path = tmp_path / "t.csv"
    _frame(tiny=1).to_csv(path, index=False)
    with pytest.raises(InvalidDataError, match="min_class_rows"):
        prepare(DataConfig(source=str(path), label="y"))
    data, splits = prepare(DataConfig(source=str(path), label="y", min_class_rows=3))
    assert splits.dropped_classes == {"tiny": 1} and splits.train.n_classes == 2
    assert "tiny" in data.class_names  # the data as loaded; the splits go without it


def test_dropping_all_but_one_class_is_refused():
    data = dataset_from_frame(_frame(tiny=40), "y", "t.csv")
    with pytest.raises(InvalidDataError, match="at least 2 classes"):
        make_splits(data, 0.3, 0, [], 1.0, min_class_rows=290)


def test_min_class_rows_is_a_typed_data_key():
    assert build_config({}).data.min_class_rows == 0
    assert build_config({"data": {"min_class_rows": 6}}).data.min_class_rows == 6
    with pytest.raises(ConfigError, match="data.min_class_rows"):
        build_config({"data": {"min_class_rows": -1}})


# ---- integer-coded categories: data.discrete and the detection of low-cardinality integers


def _coded(n: int = 400) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "grade": rng.integers(1, 5, n),  # 4 integer codes: a category
            "rooms": rng.integers(1, 60, n),  # many integers: a count
            "x": rng.normal(size=n),
            "y": rng.choice(["a", "b"], n),
        }
    )


def test_low_cardinality_integer_columns_are_discrete_with_a_note(tmp_path, caplog):
    path = tmp_path / "t.csv"
    _coded().to_csv(path, index=False)
    with caplog.at_level(logging.WARNING, logger="augment.data.tabular"):
        data, _ = prepare(DataConfig(source=str(path), label="y"))
    assert data.discrete == ["grade"] and data.continuous == ["rooms", "x"]
    said = [r.getMessage() for r in caplog.records if "grade" in r.getMessage()]
    assert len(said) == 1 and "data.discrete" in said[0] and "\n" not in said[0]
    # [] keeps every number continuous; a list names the discrete columns
    data, _ = prepare(DataConfig(source=str(path), label="y", discrete=[]))
    assert data.discrete == [] and data.continuous == ["grade", "rooms", "x"]
    data, _ = prepare(DataConfig(source=str(path), label="y", discrete=["rooms"]))
    assert data.discrete == ["rooms"] and data.continuous == ["grade", "x"]


def test_data_discrete_reaches_the_gan_transformer(tmp_path):
    from augment.config import GANConfig
    from augment.experiment.gan_fit import fit_generator

    path = tmp_path / "t.csv"
    _coded(200).to_csv(path, index=False)
    _, splits = prepare(DataConfig(source=str(path), label="y", discrete=["rooms", "grade"]))
    gan = fit_generator(splits.train, GANConfig(epochs=1, batch_size=32), progress=False)
    assert set(gan.discrete) == {"grade", "rooms"}
    assert (
        gan.transformer_.info_["rooms"]["type"] == "discrete" != gan.transformer_.info_["x"]["type"]
    )


def test_an_unknown_discrete_column_is_named():
    data = build_config({"data": {"discrete": ["grade"]}}).data
    assert data.discrete == ["grade"] and build_config({}).data.discrete is None
    with pytest.raises(InvalidDataError, match=r"data.discrete.*'nope'.*not a feature column"):
        dataset_from_frame(_coded(), "y", "t.csv", discrete=["nope"])
    with pytest.raises(InvalidDataError, match="label"):
        dataset_from_frame(_coded(), "y", "t.csv", discrete=["y"])
