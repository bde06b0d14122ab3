"""Downstream classifiers: preprocessing fitted inside the pipeline on the (resampled) fold."""

from __future__ import annotations

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

from augment.exceptions import ConfigError

CLASSIFIERS = ("logistic_regression", "hist_gradient_boosting")


def make_classifier(
    name: str, nominal: list[str], numeric: list[str], class_weight: bool, seed: int = 0
) -> Pipeline:
    """A fresh, unfitted pipeline.

    Parameters
    ----------
    name : {"logistic_regression", "hist_gradient_boosting"}
        LR: one-hot nominal + standard-scaled numeric, ``LogisticRegression(max_iter=2000)``.
        HGB: ordinal-encoded nominal columns declared categorical (native support), numeric as is.
    nominal, numeric : list of str
        Feature columns of each kind.
    class_weight : bool
        ``class_weight="balanced"``.
    seed : int
        ``random_state`` of the gradient-boosted trees.
    """
    cw = "balanced" if class_weight else None
    if name == "logistic_regression":
        prep = ColumnTransformer(
            [
                ("nominal", OneHotEncoder(handle_unknown="ignore"), nominal),
                ("numeric", StandardScaler(), numeric),
            ]
        )
        return Pipeline(
            [("prep", prep), ("clf", LogisticRegression(max_iter=2000, class_weight=cw))]
        )
    if name == "hist_gradient_boosting":
        encoder = OrdinalEncoder(
            handle_unknown="use_encoded_value", unknown_value=np.nan, dtype=np.float64
        )
        prep = ColumnTransformer(
            [("nominal", encoder, nominal), ("numeric", "passthrough", numeric)]
        )
        mask = [True] * len(nominal) + [False] * len(numeric)
        clf = HistGradientBoostingClassifier(
            categorical_features=mask if nominal else None, class_weight=cw, random_state=seed
        )
        return Pipeline([("prep", prep), ("clf", clf)])
    raise ConfigError(f"unknown classifier {name!r}; allowed: {', '.join(CLASSIFIERS)}")
