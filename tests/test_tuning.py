"""Inner validation of the amount of generated rows (`augment.tuning`, the sampler's
``tune_estimator``): the choice follows the inner scores, sees only the rows given, and
leaves the untuned sampler's rows as they were."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression

from augment import ConditionalGANOverSampler
from augment.tuning import choose_amount, scaled_plan


class CountingClassifier(ClassifierMixin, BaseEstimator):
    """Predicts the majority class; its score is a function of how many rows it was fitted
    on, so a test decides which amount the inner validation must prefer."""

    def __init__(self, prefer: float = 0.25):
        self.prefer = prefer

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        self.n_fit_ = len(y)
        return self

    def predict(self, X):
        return np.full(len(X), self.classes_[0])


def _table(n=120, seed=0):
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.2).astype(np.int64)
    y[:6] = 1
    X = pd.DataFrame({"a": rng.normal(y * 2.0, 1.0), "b": rng.normal(-y, 1.0)})
    return X, y


class CopyGAN:
    """A 'generator' that returns real rows of the class: fast and deterministic."""

    def __init__(self, X, y):
        self.X, self.y = X, y

    def sample(self, n, label, random_state=None):
        rows = self.X[self.y == label]
        rng = np.random.default_rng(random_state)
        return rows.iloc[rng.integers(0, len(rows), n)].reset_index(drop=True)


def _choose(prefer, amounts=(0.25, 0.5, 1.0), **kw):
    X, y = _table()
    plan = {1: int((y == 0).sum() - (y == 1).sum())}
    big = max(amounts)

    def scorer(model, X_out, y_out):  # best at the amount `prefer`, worse away from it
        n_real = 2 * len(y) // 3 if kw.get("cv", 2) == 3 else len(y) // 2
        made = model.n_fit_ - n_real
        share = made / max(1.0, plan[1] * big / 2)
        return -abs(share * big - prefer)

    fits = []

    def fit_gan(rows, labels, seed):
        fits.append((len(rows), seed))
        return CopyGAN(rows, labels)

    choice = choose_amount(X, y, plan, fit_gan, CountingClassifier(), amounts=amounts,
                           scoring=scorer, selection="all", **kw)  # fmt: skip
    return choice, fits, len(y)


@pytest.mark.parametrize("prefer", [0.25, 0.5, 1.0])
def test_the_amount_with_the_best_inner_score_is_chosen(prefer):
    choice, fits, n = _choose(prefer)
    assert choice.amount == prefer and choice.reason is None
    assert max(choice.scores, key=choice.scores.get) == prefer
    assert len(fits) == 2 and all(rows < n for rows, _ in fits)  # one GAN per inner fold
    assert len({seed for _, seed in fits}) == 2


def test_a_tie_goes_to_the_plan_itself():
    X, y = _table()
    plan = {1: 40}
    choice = choose_amount(X, y, plan, lambda r, lab, s: CopyGAN(r, lab), CountingClassifier(),
                           amounts=(0.25, 1.0, 0.5), scoring=lambda m, a, b: 0.5,
                           selection="all")  # fmt: skip
    assert choice.amount == 1.0 and set(choice.scores) == {0.25, 0.5, 1.0}


def test_a_class_with_fewer_rows_than_folds_is_not_tuned():
    X, y = _table()
    y = y.copy()
    y[y == 1] = 0
    y[0] = 1  # one row of class 1
    choice = choose_amount(X, y, {1: 10}, lambda r, lab, s: pytest.fail("no fit"),
                           CountingClassifier())  # fmt: skip
    assert choice.amount == 1.0 and choice.scores == {} and "1 row" in choice.reason


def test_scaled_plan_rounds_each_class():
    assert scaled_plan({"a": 10, "b": 3, "c": 0}, 0.5) == {"a": 5, "b": 2, "c": 0}


def test_tuned_sampler_generates_the_chosen_fraction_and_records_the_scores(one_thread):
    X, y = _table(160, seed=1)
    sampler = ConditionalGANOverSampler(epochs=2, random_state=0, device="cpu",
                                        tune_estimator=LogisticRegression(),
                                        tune_step_budget=1)  # fmt: skip
    X_res, y_res = sampler.fit_resample(X, y)
    assert set(sampler.tune_scores_) == {0.25, 0.5, 1.0}
    assert sampler.amount_ in sampler.tune_scores_
    gap = int((y == 0).sum() - (y == 1).sum())
    made = round(sampler.amount_ * gap)
    assert sampler.sampling_strategy_ == {1: made}
    assert len(y_res) == len(y) + made and isinstance(X_res, pd.DataFrame)
    assert list(X_res.columns) == ["a", "b"]


def test_tuned_at_the_plan_gives_the_untuned_rows(one_thread):
    X, y = _table(160, seed=1)
    kw = dict(epochs=2, random_state=4, device="cpu")
    plain = ConditionalGANOverSampler(**kw).fit_resample(X.to_numpy(), y)
    tuned = ConditionalGANOverSampler(**kw, tune_estimator=LogisticRegression(),
                                      tune_amounts=(1.0,), tune_step_budget=1)  # fmt: skip
    again = tuned.fit_resample(X.to_numpy(), y)
    assert tuned.amount_ == 1.0
    assert np.array_equal(plain[0], again[0]) and np.array_equal(plain[1], again[1])


def test_tuning_sees_only_the_rows_given_to_fit_resample(one_thread):
    """In an imblearn pipeline under cross-validation, the inner folds are made of the
    outer training rows: the estimator is never fitted or scored on another row."""
    X, y = _table(160, seed=2)
    X["rid"] = [f"r{i}" for i in range(len(y))]  # a category: generated rows reuse ids seen
    seen = set()

    class Spy(ClassifierMixin, BaseEstimator):
        def fit(self, X_, y_):
            seen.update(X_["rid"].tolist())
            self.classes_ = np.unique(y_)
            return self

        def predict(self, X_):
            seen.update(X_["rid"].tolist())
            return np.full(len(X_), self.classes_[0])

    train = np.arange(len(y)) % 3 != 0
    sampler = ConditionalGANOverSampler(epochs=1, random_state=0, device="cpu",
                                        tune_estimator=Spy(), tune_step_budget=1,
                                        selection="all")  # fmt: skip
    sampler.fit_resample(X[train].reset_index(drop=True), y[train])
    assert seen and seen <= set(X["rid"][train].tolist())


@pytest.mark.parametrize("bad", [(), (-0.5, 1.0), (0.5, float("nan")), (float("inf"),)])
def test_tune_amounts_must_be_fractions(bad):
    X, y = _table()
    sampler = ConditionalGANOverSampler(epochs=1, tune_estimator=LogisticRegression(),
                                        tune_amounts=bad)  # fmt: skip
    with pytest.raises(ValueError, match="tune_amounts"):
        sampler.fit_resample(X, y)


def test_a_class_too_small_for_the_folds_warns_and_generates_the_plan(one_thread):
    X, y = _table(80)
    y = y.copy()
    y[y == 1] = 0
    y[:2] = 1
    sampler = ConditionalGANOverSampler(epochs=1, random_state=0, device="cpu",
                                        tune_estimator=LogisticRegression(), tune_cv=3)  # fmt: skip
    with pytest.warns(UserWarning, match="untuned: a class has 2 row"):
        sampler.fit_resample(X, y)
    assert sampler.amount_ == 1.0
