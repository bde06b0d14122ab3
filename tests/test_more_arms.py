import logging

import numpy as np
import pytest

from augment import load_dataset
from augment.arms import run_arm, training_set
from augment.balance import balance_plan
from augment.config import load_config
from augment.data import make_splits
from augment.experiment import check_arms


def _wine():
    return make_splits(load_dataset("builtin:wine"), 0.3, 0, None, 0.2)


def test_random_oversample_reaches_plan_with_real_rows_only():
    s = _wine()
    plan = balance_plan(s.train.y)
    X, y = training_set("random_oversample", s, plan, 0)
    assert (np.bincount(y) == np.bincount(s.train.y).max()).all()
    # every row is a copy of a real train row
    real = {tuple(r) for r in s.train.X.to_numpy()}
    assert all(tuple(r) in real for r in X.to_numpy())


def test_smotenc_on_mixed_and_skipped_on_all_continuous(mixed_csv, caplog):
    data = load_dataset(mixed_csv, label="outcome")
    s = make_splits(data, 0.3, 0, [], 0.1)
    X, y = training_set("smotenc", s, balance_plan(s.train.y), 0)
    assert X.dtypes.to_dict() == data.X.dtypes.to_dict()
    assert np.bincount(y)[0] == np.bincount(y)[1]
    with caplog.at_level(logging.INFO):
        arms = check_arms(["baseline", "smotenc"], _wine())
    assert arms == ["baseline"] and "skipping the smotenc arm" in caplog.text


def test_class_weight_arm_uses_balanced_classifier():
    s = _wine()
    res = run_arm("class_weight", s, balance_plan(s.train.y), [0], "logistic_regression")
    assert res.n_train == len(s.train)  # the data is untouched


def test_config_accepts_new_arms_and_keeps_defaults():
    assert load_config().arms == [
        "baseline",
        "gan",
        "smote",
        "oracle",
        "classical",
        "gan+classical",
    ]
    cfg = load_config(overrides={"arms": ["baseline", "random_oversample", "class_weight"]})
    assert cfg.arms == ["baseline", "random_oversample", "class_weight"]
    with pytest.raises(Exception, match="unknown arm"):
        load_config(overrides={"arms": ["nope"]})
