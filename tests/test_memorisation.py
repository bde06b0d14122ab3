"""DCR per class: a generator that copies its training rows is caught, an honest one is not."""

import logging

import numpy as np
import pandas as pd
import pytest

from augment.data import LabeledDataset
from augment.memorisation import COPYING_RATIO, memorisation


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
    with caplog.at_level(logging.WARNING, logger="augment.memorisation"):
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
    with caplog.at_level(logging.WARNING, logger="augment.memorisation"):
        out = memorisation(train, test, near, np.ones(len(near), int))
    got = out["per_class"]["rare"]
    assert 0.0 < got["ratio"] < COPYING_RATIO / 2  # well below, not 0: no row is identical
    assert got["ratio"] == pytest.approx(got["dcr_synthetic_median"] / got["dcr_holdout_median"])
    assert 0.0 < got["dcr_synthetic_median"] < got["dcr_holdout_median"]
    assert got["exact_copies"] == 0 and got["n_synthetic"] == 40
    assert out["copying"] == ["rare"] and "'rare'" in caplog.text
