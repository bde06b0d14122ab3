"""DCR per class: a generator that copies its training rows is caught, an honest one is not."""

import logging

import numpy as np
import pandas as pd
import pytest

from augment.data import LabeledDataset
from augment.experiment.memorisation import COPYING_RATIO, MIN_SYNTHETIC_ROWS, memorisation


def _table(n, seed, shift=0.0):
    rng = np.random.default_rng(seed)
    y = np.repeat([0, 1], [n - n // 5, n // 5])
    X = pd.DataFrame({"a": rng.normal(size=n) + 3 * y + shift, "b": rng.normal(size=n)})
    return LabeledDataset(name="t", X=X, y=y, class_names=["common", "rare"], kind="table")


def test_copied_rows_are_reported_and_fresh_rows_are_not(caplog):
    train, test = _table(200, 0), _table(200, 1)
    rare = train.X[train.y == 1]
    copies = pd.concat([rare, rare.iloc[:10]], ignore_index=True)  # the generator replays them
    fresh = _table(400, 2).X[_table(400, 2).y == 1].iloc[:50].reset_index(drop=True)
    with caplog.at_level(logging.WARNING, logger="augment.experiment.memorisation"):
        copied = memorisation(train, test, copies, np.ones(len(copies), int))
    honest = memorisation(train, test, fresh, np.ones(len(fresh), int))
    rare_copied, rare_honest = copied["per_class"]["rare"], honest["per_class"]["rare"]
    assert rare_copied["ratio"] == 0.0 and rare_copied["exact_copies"] == 50
    assert copied["copying"] == ["rare"] and "'rare'" in caplog.text
    assert rare_honest["ratio"] > COPYING_RATIO and rare_honest["exact_copies"] == 0
    assert honest["copying"] == [] and rare_honest["n_synthetic"] == 50


def test_images_compare_pixels():
    rng = np.random.default_rng(0)
    X = rng.random((40, 1, 4, 4)).astype(np.float32)
    y = np.repeat([0, 1], 20)
    train = LabeledDataset(name="i", X=X, y=y, class_names=["a", "b"], kind="image")
    test = LabeledDataset(
        name="i",
        X=rng.random((10, 1, 4, 4)).astype(np.float32),
        y=np.repeat([0, 1], 5),
        class_names=["a", "b"],
        kind="image",
    )
    out = memorisation(train, test, X[y == 1].reshape(20, -1), np.ones(20, int))
    assert out["per_class"]["b"]["exact_copies"] == 20 and out["copying"] == ["b"]


def test_near_copies_have_a_ratio_strictly_between_zero_and_the_threshold(caplog):
    # the generator replays its rare training rows with a little noise: no exact copy, but
    # each synthetic row sits much closer to a training row than a new real row does
    train, test = _table(200, 0), _table(200, 1)
    rare = train.X[train.y == 1].reset_index(drop=True)
    noise = np.random.default_rng(3).normal(0, 0.05, size=rare.shape)
    near = rare + noise
    with caplog.at_level(logging.WARNING, logger="augment.experiment.memorisation"):
        out = memorisation(train, test, near, np.ones(len(near), int))
    got = out["per_class"]["rare"]
    assert 0.0 < got["ratio"] < COPYING_RATIO / 2  # well below, not 0: no row is identical
    assert got["ratio"] == pytest.approx(got["dcr_synthetic_median"] / got["dcr_holdout_median"])
    assert 0.0 < got["dcr_synthetic_median"] < got["dcr_holdout_median"]
    assert got["exact_copies"] == 0 and got["n_synthetic"] == 40
    assert out["copying"] == ["rare"] and "'rare'" in caplog.text


def test_a_class_with_one_synthetic_row_is_not_judged(caplog):
    # one copied row: its distance is 0, the ratio 0, and it says nothing about the generator
    train, test = _table(200, 0), _table(200, 1)
    one = train.X[train.y == 1].iloc[:1].reset_index(drop=True)
    with caplog.at_level(logging.WARNING, logger="augment.experiment.memorisation"):
        out = memorisation(train, test, one, np.ones(1, int))
    assert out["per_class"]["rare"]["ratio"] == 0.0 and out["per_class"]["rare"]["n_synthetic"] == 1
    assert out["copying"] == [] and "copying" not in caplog.text
    assert out["min_synthetic_rows"] == MIN_SYNTHETIC_ROWS > 1


def _grid(seed):
    """Every combination of four integer-coded attributes once (625 rows), class a function of
    them, split 70/30: any valid row is a copy of a real row, a train or a test one."""
    codes = np.array(np.meshgrid(*[np.arange(5)] * 4)).reshape(4, -1).T
    X = pd.DataFrame(codes, columns=["a", "b", "c", "d"])
    y = ((X["a"] + X["b"]) % 2).to_numpy()
    order = np.random.default_rng(seed).permutation(len(X))
    cut = int(0.7 * len(X))

    def part(rows):
        return LabeledDataset(
            name="grid",
            X=X.iloc[rows].reset_index(drop=True),
            y=y[rows],
            class_names=["even", "odd"],
            kind="table",
        )

    return X, y, part(order[:cut]), part(order[cut:])


def test_a_table_of_every_combination_does_not_alarm_but_a_copying_generator_does(caplog):
    X, y, train, test = _grid(0)
    rng = np.random.default_rng(1)
    # an honest generator makes valid rows of the class: training rows and unseen ones alike
    honest = X[y == 1].iloc[rng.choice(int((y == 1).sum()), 200)].reset_index(drop=True)
    with caplog.at_level(logging.WARNING, logger="augment.experiment.memorisation"):
        out = memorisation(train, test, honest, np.ones(len(honest), int))
    odd = out["per_class"]["odd"]
    assert odd["ratio"] == 0.0 and odd["exact_copies"] > 100 and odd["unseen_matches"] > 30
    assert odd["holdout_exact_share"] == 0.0  # no real row repeats in this table
    assert out["copying"] == [] and "copying" not in caplog.text
    # a copying generator replays its training rows only
    seen = train.X[train.y == 1]
    copier = seen.iloc[rng.choice(len(seen), 200)].reset_index(drop=True)
    with caplog.at_level(logging.WARNING, logger="augment.experiment.memorisation"):
        out = memorisation(train, test, copier, np.ones(len(copier), int))
    assert out["per_class"]["odd"]["unseen_matches"] == 0
    assert out["copying"] == ["odd"] and "'odd'" in caplog.text


def test_copies_no_more_frequent_than_the_data_s_own_duplicates_are_not_copying(caplog):
    # two binary columns and a float one that is often 0: held-out rows repeat a training row
    # about 45% of the time; a generator whose rows repeat one 60% of the time (median distance
    # 0, ratio 0) copies no more than the data itself does
    def table(n, seed, zeros):
        r = np.random.default_rng(seed)
        X = pd.DataFrame(
            {
                "a": r.integers(0, 2, n),
                "b": r.integers(0, 2, n),
                "c": np.where(r.random(n) < zeros, 0.0, r.normal(size=n)),
            }
        )
        return LabeledDataset(name="d", X=X, y=np.zeros(n, int), class_names=["only"], kind="table")

    train, test = table(300, 0, 0.45), table(100, 1, 0.45)
    honest = table(100, 2, 0.6).X
    with caplog.at_level(logging.WARNING, logger="augment.experiment.memorisation"):
        out = memorisation(train, test, honest, np.zeros(len(honest), int))
    got = out["per_class"]["only"]
    assert got["ratio"] == 0.0 and 0.3 < got["holdout_exact_share"] < 0.5
    assert out["copying"] == [] and "copying" not in caplog.text
    # replaying training rows is still copying, duplicates in the data or not
    replay = train.X.iloc[:100].reset_index(drop=True)
    with caplog.at_level(logging.WARNING, logger="augment.experiment.memorisation"):
        out = memorisation(train, test, replay, np.zeros(len(replay), int))
    assert out["copying"] == ["only"] and "'only'" in caplog.text
