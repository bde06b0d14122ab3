import logging

import numpy as np
import pandas as pd
import pytest

from augment import load_dataset
from augment.arms import applicable_arms, run_arm, training_set
from augment.balance import balance_plan
from augment.classify import make_classifier
from augment.config import load_config
from augment.data import dataset_from_frame, make_splits


def test_random_oversample_reaches_plan_with_real_rows_only(wine_splits):
    s = wine_splits
    plan = balance_plan(s.train.y)
    X, y = training_set("random_oversample", s, plan, 0)
    assert (np.bincount(y) == np.bincount(s.train.y).max()).all()
    # every row is a copy of a real train row
    real = {tuple(r) for r in s.train.X.to_numpy()}
    assert all(tuple(r) in real for r in X.to_numpy())


def test_smotenc_on_mixed_and_skipped_on_all_continuous(mixed_csv, caplog, wine_splits):
    data = load_dataset(mixed_csv, label="outcome")
    s = make_splits(data, 0.3, 0, [], 0.1)
    X, y = training_set("smotenc", s, balance_plan(s.train.y), 0)
    assert X.dtypes.to_dict() == data.X.dtypes.to_dict()
    assert np.bincount(y)[0] == np.bincount(y)[1]
    with caplog.at_level(logging.INFO):
        arms, skipped = applicable_arms(["baseline", "smotenc"], wine_splits)
    assert arms == ["baseline"] and "skipping the smotenc arm" in caplog.text
    assert skipped == {"smotenc": "smotenc needs discrete and continuous columns"}


def test_class_weight_arm_trains_a_balanced_classifier():
    # overlapping classes, 15:1: unweighted, the rare class is rarely predicted; weighted by
    # inverse frequency, its recall rises (the only difference from the baseline arm); a
    # random forest of full-depth trees barely reacts to weights, a logistic regression does
    classifier = "logistic_regression"
    rng = np.random.default_rng(0)
    y = np.repeat(["common", "rare"], [300, 20])
    x = rng.normal(0, 1, len(y)) + 1.5 * (y == "rare")
    frame = pd.DataFrame({"x": x, "z": rng.normal(0, 1, len(y)), "y": y})
    s = make_splits(dataset_from_frame(frame, "y", "t"), 0.5, 0, [], 1.0)
    plan = balance_plan(s.train.y)
    base = run_arm("baseline", s, plan, [0], classifier)
    weighted = run_arm("class_weight", s, plan, [0], classifier)
    assert weighted.n_train == base.n_train == len(s.train)  # the data is untouched
    rare = s.train.class_names.index("rare")
    assert weighted.per_class_recall[rare] > base.per_class_recall[rare]
    assert weighted.confusion[:, rare].sum() > base.confusion[:, rare].sum()  # predicted more


def test_make_classifier_passes_class_weight_to_the_fitted_estimator(wine_splits):
    s = wine_splits
    for name in ("logistic_regression", "random_forest"):
        for weight in (None, "balanced"):
            clf = make_classifier(name, s.train, 0, class_weight=weight).fit(s.train.X, s.train.y)
            assert clf.named_steps["clf"].class_weight == weight


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
