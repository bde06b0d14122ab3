"""Downstream classifiers trained in every arm (scikit-learn estimators)."""

from __future__ import annotations

from sklearn.base import ClassifierMixin, clone
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from augment.data import LabeledDataset


def _estimator(name: str, seed: int, class_weight: str | None = None) -> ClassifierMixin:
    if name == "random_forest":
        return RandomForestClassifier(
            n_estimators=200, random_state=seed, n_jobs=1, class_weight=class_weight
        )
    if name == "logistic_regression":
        return LogisticRegression(max_iter=2000, random_state=seed, class_weight=class_weight)
    raise ValueError(f"unknown classifier {name!r}")


def make_classifier(
    name: str, data: LabeledDataset, seed: int, class_weight: str | None = None
) -> Pipeline:
    """A fresh, unfitted classifier for ``data``'s schema: scaling + one-hot where needed.

    ``class_weight="balanced"`` reweights the loss by inverse class frequency (the
    ``class_weight`` arm).
    """
    est = _estimator(name, seed, class_weight)
    if data.kind == "image":
        return (
            make_pipeline(StandardScaler(), est)
            if name == "logistic_regression"
            else make_pipeline(est)
        )
    numeric = StandardScaler() if name == "logistic_regression" else "passthrough"
    pre = ColumnTransformer(
        [
            ("num", numeric, data.continuous),
            ("cat", OneHotEncoder(handle_unknown="ignore"), data.discrete),
        ]
    )
    return Pipeline([("pre", pre), ("clf", clone(est))])
