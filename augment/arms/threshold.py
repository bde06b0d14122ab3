"""``threshold``: the train split as it is, the plain classifier with a tuned decision threshold.

scikit-learn's `~sklearn.model_selection.TunedThresholdClassifierCV` picks the cut on the
classifier's scores that maximises balanced accuracy (the headline metric) over a stratified
k-fold of the training rows, then refits on all of them. Binary tables with a scikit-learn
classifier only: a multiclass problem has no single threshold to move.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
from sklearn.base import clone
from sklearn.model_selection import StratifiedKFold, TunedThresholdClassifierCV
from sklearn.utils.validation import check_is_fitted

from augment.arms._common import unchanged
from augment.arms._registry import Arm, register

log = logging.getLogger("augment.arms")

MAX_FOLDS = 5  # the cross-validation's k when every class has that many training rows


class TunedThresholdOrPlain(TunedThresholdClassifierCV):
    """`TunedThresholdClassifierCV`, or the plain classifier when there is nothing to tune.

    A classifier whose scores are constant on a validation fold (gradient boosting on a few
    dozen rows makes no split) has no threshold to move; scikit-learn then raises, and this
    keeps the classifier fitted on all rows with its own ``predict`` (``best_threshold_`` None).
    """

    def _fit(self, X, y, **params):
        try:
            return super()._fit(X, y, **params)
        except ValueError as err:
            if "constant predictions" not in str(err):
                raise
        log.warning("threshold arm: constant scores on a validation fold, threshold not tuned")
        self.estimator_ = clone(self.estimator).fit(X, y, **params)
        self.best_threshold_, self.best_score_ = None, float("nan")
        return self

    def predict(self, X):
        check_is_fitted(self, "estimator_")
        if self.best_threshold_ is None:
            return self.estimator_.predict(X)
        return super().predict(X)


def folds(y: np.ndarray) -> int:
    """The k of the threshold's stratified k-fold: at most `MAX_FOLDS`, and no more than the
    smallest class has rows, so every validation fold holds every class."""
    return int(max(2, min(MAX_FOLDS, np.unique(y, return_counts=True)[1].min())))


def tune_threshold(classifier: Any, seed: int, y: np.ndarray) -> TunedThresholdOrPlain:
    """``classifier`` with its threshold tuned for balanced accuracy on a seeded stratified
    k-fold of the training labels ``y`` (`folds`), then refitted on all of them."""
    cv = StratifiedKFold(n_splits=folds(y), shuffle=True, random_state=seed)
    return TunedThresholdOrPlain(classifier, scoring="balanced_accuracy", cv=cv, random_state=seed)


def requires(splits, classifier: str) -> str | None:
    from augment.classify import resolve_classifier

    train = splits.train
    if resolve_classifier(classifier, train.kind) == "cnn":
        return "threshold tuning wraps a scikit-learn classifier, not the cnn"
    if train.n_classes != 2:
        return f"threshold tuning needs two classes, this data has {train.n_classes}"
    counts = train.class_counts()
    fewest = min(counts, key=counts.get)
    if counts[fewest] < 2:
        return (
            f"threshold tuning cross-validates on the train split and needs 2 rows of each "
            f"class there; class {fewest!r} has {counts[fewest]}"
        )
    return None


ARM = register(
    Arm(
        name="threshold",
        help="the train split as it is, decision threshold tuned for balanced accuracy (binary)",
        build=lambda draw: unchanged(draw.train),
        order=9,
        default=False,
        kinds=("table",),
        requires=requires,
        wrap_classifier=tune_threshold,
    )
)
