"""Downstream classifiers trained in every arm (scikit-learn estimators, a small torch CNN)."""

from __future__ import annotations

from sklearn.base import ClassifierMixin, clone
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from augment.data import LabeledDataset


def resolve_classifier(name: str, kind: str) -> str:
    """``"auto"``: the CNN for images, a random forest for tables; other names unchanged."""
    if name != "auto":
        return name
    return "cnn" if kind == "image" else "random_forest"


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
    ``class_weight`` arm; scikit-learn estimators only).
    """
    name = resolve_classifier(name, data.kind)
    if name == "cnn":
        if data.kind != "image":
            raise ValueError("classifier 'cnn' needs an image dataset; use one on tables")
        if class_weight is not None:
            raise ValueError("the cnn classifier has no class_weight; use a scikit-learn one")
        from augment.cnn import CNNClassifier  # torch, lazily

        return CNNClassifier(image_shape=data.image_shape, random_state=seed)
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
