"""Downstream classifiers trained in every arm (scikit-learn estimators, a small torch CNN).

`make_classifier` is the one factory: `augment run`, the flows and the benchmark suite
(`augment.suite`) all build their classifiers here.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import ClassifierMixin, clone
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

from augment.data import LabeledDataset
from augment.exceptions import ConfigError

#: scikit-learn classifiers (tables and flattened images); "cnn" takes images only
SKLEARN_CLASSIFIERS = ("random_forest", "logistic_regression", "hist_gradient_boosting")
CLASSIFIERS = (*SKLEARN_CLASSIFIERS, "cnn")


#: the smallest image side the CNN takes (`augment.gan.features.SmallCNN` pools by 2 once)
CNN_MIN_SIDE = 2


def check_classifier(name: str, data: LabeledDataset) -> None:
    """Raise `ConfigError` (one line) when classifier ``name`` cannot take ``data``: the CNN on
    a table, or on images smaller than it pools. Called before a run starts."""
    if resolve_classifier(name, data.kind) != "cnn":
        return
    if data.kind != "image":
        raise ConfigError(
            "classifier 'cnn' takes images, not a table; use one of"
            f" {', '.join(SKLEARN_CLASSIFIERS)} (or auto)"
        )
    _, h, w = data.image_shape
    if min(h, w) < CNN_MIN_SIDE:
        raise ConfigError(
            f"classifier 'cnn' needs images of at least {CNN_MIN_SIDE}x{CNN_MIN_SIDE} pixels; these"
            f" are {h}x{w}: use a scikit-learn classifier ({', '.join(SKLEARN_CLASSIFIERS)})"
        )


def resolve_classifier(name: str, kind: str) -> str:
    """``"auto"``: the CNN for images, a random forest for tables; other names unchanged."""
    if name != "auto":
        return name
    return "cnn" if kind == "image" else "random_forest"


def _estimator(
    name: str, seed: int, class_weight: str | None, categorical: list[bool] | None = None
) -> ClassifierMixin:
    if name == "random_forest":
        return RandomForestClassifier(
            n_estimators=200, random_state=seed, n_jobs=1, class_weight=class_weight
        )
    if name == "logistic_regression":
        return LogisticRegression(max_iter=2000, random_state=seed, class_weight=class_weight)
    if name == "hist_gradient_boosting":
        return HistGradientBoostingClassifier(
            categorical_features=categorical, class_weight=class_weight, random_state=seed
        )
    raise ValueError(f"unknown classifier {name!r}; allowed: {', '.join(CLASSIFIERS)}")


def make_classifier(
    name: str, data: LabeledDataset, seed: int, class_weight: str | None = None
) -> Pipeline:
    """A fresh, unfitted classifier for ``data``'s schema: scaling + encoding where needed.

    Parameters
    ----------
    name : str
        ``"auto"`` or a name of `CLASSIFIERS`. Tables: ``random_forest`` takes numbers as they
        are and one-hot discrete columns; ``logistic_regression`` standard-scales the continuous
        ones; ``hist_gradient_boosting`` ordinal-encodes discrete columns and declares them
        categorical (its native support). Images: the flattened pixels (scaled for LR).
    data : LabeledDataset
        Only its schema is read (kind, continuous / discrete columns, image shape).
    seed : int
        The estimator's ``random_state``.
    class_weight : {"balanced", None}
        ``"balanced"`` reweights the loss by inverse class frequency (the ``class_weight``
        arm; scikit-learn estimators only).
    """
    name = resolve_classifier(name, data.kind)
    if name == "cnn":
        if data.kind != "image":
            raise ValueError("classifier 'cnn' needs an image dataset; use one on tables")
        if class_weight is not None:
            raise ValueError("the cnn classifier has no class_weight; use a scikit-learn one")
        from augment.cnn import CNNClassifier  # torch, lazily

        return CNNClassifier(image_shape=data.image_shape, random_state=seed)
    if data.kind == "image":
        est = _estimator(name, seed, class_weight)
        return (
            make_pipeline(StandardScaler(), est)
            if name == "logistic_regression"
            else make_pipeline(est)
        )
    if name == "hist_gradient_boosting":
        # unseen categories at predict time become NaN, which the trees route as missing
        encoder = OrdinalEncoder(
            handle_unknown="use_encoded_value", unknown_value=np.nan, dtype=np.float64
        )
        pre = ColumnTransformer(
            [("cat", encoder, data.discrete), ("num", "passthrough", data.continuous)]
        )
        mask = [True] * len(data.discrete) + [False] * len(data.continuous)
        est = _estimator(name, seed, class_weight, mask if data.discrete else None)
        return Pipeline([("pre", pre), ("clf", est)])
    est = _estimator(name, seed, class_weight)
    numeric = StandardScaler() if name == "logistic_regression" else "passthrough"
    pre = ColumnTransformer(
        [
            ("num", numeric, data.continuous),
            ("cat", OneHotEncoder(handle_unknown="ignore"), data.discrete),
        ]
    )
    return Pipeline([("pre", pre), ("clf", clone(est))])
