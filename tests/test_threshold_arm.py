"""The ``threshold`` arm: the plain classifier with its decision threshold tuned for balanced
accuracy by `TunedThresholdClassifierCV` (binary tables), in `augment run` and in the suite."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import StratifiedKFold, TunedThresholdClassifierCV

from augment.arms import applicable_arms, classical_arms, default_names, get, run_arm
from augment.balance import balance_plan
from augment.classify import make_classifier
from augment.data import dataset_from_frame, make_splits
from augment.exceptions import InvalidDataError
from augment.suite import SuiteTable, registry_arm, result_from_outputs, run_suite

THREE_CLASSES = "threshold tuning needs two classes, this data has 3"


@pytest.fixture(scope="module")
def skewed():
    """Overlapping classes, 19:1: a plain logistic regression almost never predicts the rare
    class (its balanced accuracy near 0.5); a tuned threshold predicts it and gains a lot."""
    rng = np.random.default_rng(0)
    y = np.repeat(["common", "rare"], [760, 40])
    x = rng.normal(0, 1, len(y)) + 2.0 * (y == "rare")
    frame = pd.DataFrame({"x": x, "z": rng.normal(0, 1, len(y)), "y": y})
    return make_splits(dataset_from_frame(frame, "y", "skewed"), 0.5, 0, [], 1.0)


def test_threshold_arm_fits_a_tuned_threshold_away_from_one_half(skewed):
    train = skewed.train
    clf = make_classifier("logistic_regression", train, 0)
    tuned = get("threshold").wrap(clf, 3, train.y).fit(train.X, train.y)
    assert isinstance(tuned, TunedThresholdClassifierCV)
    assert tuned.scoring == "balanced_accuracy" and tuned.random_state == 3
    assert isinstance(tuned.cv, StratifiedKFold) and tuned.cv.random_state == 3
    # P(rare) is small everywhere: the cut that balances the two recalls lies far below 0.5
    assert tuned.best_threshold_ < 0.3
    # the baseline arm's classifier is not wrapped
    assert get("baseline").wrap(clf, 3, train.y) is clf


def test_threshold_arm_beats_the_plain_classifier_on_balanced_accuracy(skewed):
    plan = balance_plan(skewed.train.y)
    base = run_arm("baseline", skewed, plan, [0, 1], "logistic_regression")
    tuned = run_arm("threshold", skewed, plan, [0, 1], "logistic_regression")
    assert tuned.n_train == base.n_train == len(skewed.train)  # the rows are untouched
    mean = {r.arm: np.mean([s["balanced_accuracy"] for s in r.per_seed]) for r in (base, tuned)}
    assert mean["baseline"] < 0.7 and mean["threshold"] > mean["baseline"] + 0.15


def test_cv_folds_shrink_to_the_smallest_class():
    from augment.arms.threshold import folds

    assert folds(np.repeat([0, 1], [50, 40])) == 5
    assert folds(np.repeat([0, 1], [50, 3])) == 3  # every validation fold holds a rare row
    assert folds(np.repeat([0, 1], [50, 2])) == 2


def test_threshold_arm_is_skipped_with_its_reason_on_three_classes(wine_splits, capsys):
    from augment.cli.run import _say_skipped
    from augment.config import build_config
    from augment.experiment.preflight import preflight

    arms, skipped = applicable_arms(["baseline", "threshold"], wine_splits)
    assert arms == ["baseline"] and skipped == {"threshold": THREE_CLASSES}
    with pytest.raises(InvalidDataError, match=f"no arm left to run: threshold: {THREE_CLASSES}"):
        applicable_arms(["threshold"], wine_splits)
    # named explicitly: the run goes on without it and says why, as for every inapplicable arm
    cfg = build_config(
        {"data": {"source": "builtin:wine"}, "arms": ["baseline", "threshold"], "seeds": 1}
    )
    prepared = preflight(cfg, tracking=False)
    assert prepared.arms == ["baseline"] and prepared.skipped == {"threshold": THREE_CLASSES}
    _say_skipped(prepared, explicit=True)
    assert f"augment: skipping the threshold arm: {THREE_CLASSES}" in capsys.readouterr().err


def test_threshold_arm_needs_a_scikit_learn_classifier_and_two_rows_per_class(skewed):
    spec = get("threshold")
    assert spec.why_not(skewed, "logistic_regression") is None
    assert "not the cnn" in spec.why_not(skewed, "cnn")
    assert spec.kinds == ("table",)
    train = skewed.train
    rare = train.class_names.index("rare")
    one = train.subset(np.r_[np.flatnonzero(train.y != rare), np.flatnonzero(train.y == rare)[:1]])
    lone = type(skewed)(one, skewed.test, None, [])
    assert "class 'rare' has 1" in spec.why_not(lone, "logistic_regression")


def test_threshold_arm_is_listed_classical_and_not_a_default(capsys):
    from augment.cli import main

    assert main(["arms"]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("threshold "))
    assert get("threshold").help in line and "tables only" in line
    assert "threshold" in classical_arms() and "threshold" not in default_names()


def _table(n_classes: int, n: int = 120) -> SuiteTable:
    rng = np.random.default_rng(n_classes)
    y = np.repeat(np.arange(n_classes), [n - 10 * (n_classes - 1)] + [10] * (n_classes - 1))
    X = pd.DataFrame({"x": rng.normal(y * 1.5, 1.0), "z": rng.normal(size=n)})
    return SuiteTable(f"c{n_classes}", X, y, [str(c) for c in range(n_classes)], [])


def test_suite_runs_the_threshold_arm_and_marks_it_na_on_three_classes():
    from augment.suite.arms import CLASSICAL

    assert "threshold" in CLASSICAL  # a default compared arm of the suite
    arms = {"baseline": registry_arm("baseline"), "threshold": registry_arm("threshold")}
    tables = [_table(2), _table(3)]
    res = run_suite(tables, arms, ["logistic_regression"], folds=2, repeats=1)
    rows = {r["table"]: r for r in res.summary["rows"]}
    binary, three = rows["c2"]["arms"], rows["c3"]
    # the suite's threshold arm is the tuned classifier, not the baseline's again
    assert binary["threshold"]["values"] != binary["baseline"]["values"]
    assert set(three["arms"]) == {"baseline"} and three["skipped"] == {"threshold": THREE_CLASSES}
    assert res.summary["n_rows"] == 2 and res.summary["n_ranked"] == 1
    # jobs saved before the arm existed still read: the arm is left out, the rest unchanged
    saved = [{"records": [r for r in res.records if r["arm"] != "threshold"], "cpu_s": 1.0,
              "wall_s": 1.0}]  # fmt: skip
    kw = dict(folds=2, repeats=1, gan_seeds=1, seed=0, n_jobs=1)
    old = result_from_outputs(tables, arms, ["logistic_regression"], saved, **kw)
    assert old.timing["arms_without_records"] == ["threshold"]
    assert list(old.config["arms"]) == ["baseline"] and old.summary["n_ranked"] == 2
    assert old.summary["rows"][0]["arms"]["baseline"] == rows["c2"]["arms"]["baseline"]


def test_nothing_to_tune_keeps_the_plain_classifier():
    # gradient boosting on 30 rows makes no split (20 rows per leaf): its scores are constant,
    # scikit-learn cannot tune a threshold, and the arm keeps the plain classifier
    rng = np.random.default_rng(0)
    y = np.repeat(["common", "rare"], [24, 6])
    frame = pd.DataFrame({"x": rng.normal(0, 1, len(y)) + 2.0 * (y == "rare"), "y": y})
    s = make_splits(dataset_from_frame(frame, "y", "tiny"), 0.2, 0, [], 1.0)
    plain = make_classifier("hist_gradient_boosting", s.train, 0)
    tuned = get("threshold").wrap(plain, 0, s.train.y).fit(s.train.X, s.train.y)
    assert tuned.best_threshold_ is None
    expected = plain.fit(s.train.X, s.train.y).predict(s.test.X)
    np.testing.assert_array_equal(tuned.predict(s.test.X), expected)
