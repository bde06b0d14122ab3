"""DCR per class: a generator that copies its training rows is caught, an honest one is not."""

import logging

import numpy as np
import pandas as pd

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
