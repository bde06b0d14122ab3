"""Downstream metrics, their aggregation over seeds, and synthetic-data quality metrics."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    f1_score,
    recall_score,
    roc_auc_score,
)
from sklearn.model_selection import StratifiedKFold, cross_val_predict

METRICS = ("balanced_accuracy", "macro_f1", "accuracy", "minority_recall")


def minority_classes(y_train: np.ndarray, n_classes: int) -> list[int]:
    """Classes with fewer train rows than the largest class (all classes when balanced)."""
    counts = np.bincount(y_train, minlength=n_classes)
    small = [c for c in range(n_classes) if counts[c] < counts.max()]
    return small or list(range(n_classes))


def downstream_metrics(
    y_true: np.ndarray, y_pred: np.ndarray, minority: list[int]
) -> dict[str, float]:
    """The four metrics of every arm; ``minority_recall`` is the mean recall over ``minority``."""
    recalls = recall_score(y_true, y_pred, labels=minority, average=None, zero_division=0)
    return {
        "balanced_accuracy": float(balanced_accuracy_score(y_true, y_pred)),
        "macro_f1": float(f1_score(y_true, y_pred, average="macro", zero_division=0)),
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "minority_recall": float(np.mean(recalls)),
    }


def aggregate(values: list[float]) -> dict[str, Any]:
    """Mean, sample std and a t-based 95% confidence interval of the mean over seeds, in [0, 1]."""
    v = np.asarray(values, dtype=float)
    mean = float(v.mean())
    if len(v) < 2:
        return {"mean": mean, "std": 0.0, "ci95": [mean, mean], "values": v.tolist()}
    lo, hi = t_interval(v)
    # every metric here is a proportion: a t-interval past 0 or 1 says nothing more than 0 or 1
    ci = [max(0.0, lo), min(1.0, hi)]
    return {"mean": mean, "std": float(v.std(ddof=1)), "ci95": ci, "values": v.tolist()}


def t_interval(values) -> tuple[float, float] | None:
    """The t-based 95% confidence interval of the mean of ``values``; None with fewer than 2."""
    v = np.asarray(values, dtype=float)
    if len(v) < 2:
        return None
    mean, std = float(v.mean()), float(v.std(ddof=1))
    half = float(stats.t.ppf(0.975, len(v) - 1) * std / np.sqrt(len(v)))
    return mean - half, mean + half


def summarize_arms(per_seed: dict[str, list[dict[str, float]]]) -> dict[str, dict[str, Any]]:
    """``{arm: [metrics per seed]}`` -> ``{arm: {metric: aggregate}}``."""
    return {
        arm: {m: aggregate([row[m] for row in rows]) for m in METRICS}
        for arm, rows in per_seed.items()
    }


def deltas_and_gap(arms: dict[str, dict[str, Any]]) -> tuple[dict, dict]:
    """Mean differences vs ``baseline`` per metric, and gap recovered on balanced accuracy.

    gap recovered = (arm - baseline) / (oracle - baseline); only defined with an oracle arm
    whose balanced accuracy differs from the baseline's.
    """
    deltas: dict[str, dict[str, float]] = {}
    gap: dict[str, float | None] = {}
    if "baseline" not in arms:
        return deltas, gap
    base = arms["baseline"]
    for arm, res in arms.items():
        if arm == "baseline":
            continue
        deltas[arm] = {m: res[m]["mean"] - base[m]["mean"] for m in METRICS}
    if "oracle" in arms:
        gap = {arm: gap_recovered(arms, arm) for arm in arms if arm not in ("baseline", "oracle")}
    return deltas, gap


def gap_recovered(arms: dict[str, dict[str, Any]], arm: str) -> float | None:
    """(arm - baseline) / (oracle - baseline) on balanced accuracy means; None where undefined
    (no baseline, oracle or arm mean, the baseline or oracle itself, or oracle = baseline)."""
    if arm in ("baseline", "oracle"):
        return None
    means = (arms.get(a, {}).get("balanced_accuracy", {}) for a in ("baseline", "oracle", arm))
    base, oracle, mine = (m.get("mean") for m in means)
    if base is None or oracle is None or mine is None:
        return None
    span = oracle - base
    return (mine - base) / span if abs(span) > 1e-9 else None


def c2st_auc(
    real: pd.DataFrame | np.ndarray, synthetic: pd.DataFrame | np.ndarray, seed: int = 0
) -> float:
    """Classifier two-sample test: cross-validated ROC AUC of telling real from synthetic rows.

    0.5 means indistinguishable, 1.0 means trivially told apart. Tables are one-hot encoded.
    """
    if isinstance(real, pd.DataFrame):
        both = pd.get_dummies(pd.concat([real, synthetic], ignore_index=True)).to_numpy(dtype=float)
    else:
        both = np.concatenate([np.asarray(real), np.asarray(synthetic)]).reshape(
            len(real) + len(synthetic), -1
        )
    is_fake = np.r_[np.zeros(len(real)), np.ones(len(synthetic))]
    cv = StratifiedKFold(5, shuffle=True, random_state=seed)
    clf = RandomForestClassifier(n_estimators=100, random_state=seed, n_jobs=1)
    proba = cross_val_predict(clf, both, is_fake, cv=cv, method="predict_proba")[:, 1]
    return float(roc_auc_score(is_fake, proba))
