"""The arms of the comparison: how each builds its training set from the (imbalanced) train split.

- ``baseline``: the train split as it is.
- ``gan``: the train split plus class-conditional GAN samples per the balance plan.
- ``smote``: SMOTE (SMOTENC / SMOTEN with discrete columns) to the same per-class targets.
- ``oracle``: the untouched train split (only when imbalance was induced).
- ``random_oversample``: real rows of each class repeated at random to the same targets.
- ``smotenc``: SMOTE-NC to the same targets (tables with both discrete and continuous columns).
- ``class_weight``: the train split as it is, classifier with ``class_weight="balanced"``.
- ``classical`` (images): albumentations-augmented copies of real images per the balance plan.
- ``gan+classical`` (images): the plan filled half by GAN samples, half by classical copies.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from imblearn.over_sampling import SMOTE, SMOTEN, SMOTENC, RandomOverSampler
from sklearn.metrics import confusion_matrix, recall_score

from augment.classify import make_classifier
from augment.data import LabeledDataset, Splits
from augment.evaluate import downstream_metrics, minority_classes

Features = pd.DataFrame | np.ndarray


def features(data: LabeledDataset) -> Features:
    """What the downstream classifier sees: the table, or flattened pixels."""
    return data.X if data.kind == "table" else data.features_2d()


def synthesize(
    model: Any, plan: dict[int, int], seed: int, kind: str
) -> tuple[Features, np.ndarray]:
    """Samples per class from a fitted conditional GAN, ``plan = {class code: n}``."""
    parts, labels = [], []
    for i, (code, n) in enumerate(sorted(plan.items())):
        if n <= 0:
            continue
        x = model.sample(n, code, random_state=seed * 1000 + i)
        parts.append(x if kind == "table" else x.reshape(n, -1))
        labels.append(np.full(n, code, dtype=np.int64))
    if not parts:
        return (pd.DataFrame() if kind == "table" else np.zeros((0, 0))), np.zeros(0, np.int64)
    X = pd.concat(parts, ignore_index=True) if kind == "table" else np.concatenate(parts)
    return X, np.concatenate(labels)


def _smote(train: LabeledDataset, plan: dict[int, int], seed: int) -> tuple[Features, np.ndarray]:
    counts = np.bincount(train.y, minlength=train.n_classes)
    targets = {c: int(counts[c] + n) for c, n in plan.items() if n > 0}
    if not targets:
        return features(train), train.y
    # SMOTE interpolates between a row and its k nearest same-class neighbours
    k = int(max(1, min(5, min(counts[c] for c in targets) - 1)))
    if train.kind == "image":
        sampler = SMOTE(sampling_strategy=targets, k_neighbors=k, random_state=seed)
        return sampler.fit_resample(train.features_2d(), train.y)
    if not train.discrete:
        sampler = SMOTE(sampling_strategy=targets, k_neighbors=k, random_state=seed)
    elif not train.continuous:
        sampler = SMOTEN(sampling_strategy=targets, k_neighbors=k, random_state=seed)
    else:
        cat_idx = [train.X.columns.get_loc(c) for c in train.discrete]
        sampler = SMOTENC(cat_idx, sampling_strategy=targets, k_neighbors=k, random_state=seed)
    X, y = sampler.fit_resample(train.X, train.y)
    return X.astype(train.X.dtypes.to_dict()), y


def _targets(train: LabeledDataset, plan: dict[int, int]) -> dict[int, int]:
    counts = np.bincount(train.y, minlength=train.n_classes)
    return {c: int(counts[c] + n) for c, n in plan.items() if n > 0}


def _random_oversample(
    train: LabeledDataset, plan: dict[int, int], seed: int
) -> tuple[Features, np.ndarray]:
    targets = _targets(train, plan)
    if not targets:
        return features(train), train.y
    sampler = RandomOverSampler(sampling_strategy=targets, random_state=seed)
    return sampler.fit_resample(features(train), train.y)


def _smotenc(train: LabeledDataset, plan: dict[int, int], seed: int) -> tuple[Features, np.ndarray]:
    if train.kind != "table" or not train.discrete or not train.continuous:
        raise ValueError("the smotenc arm needs a table with discrete and continuous columns")
    targets = _targets(train, plan)
    if not targets:
        return features(train), train.y
    counts = np.bincount(train.y, minlength=train.n_classes)
    k = int(max(1, min(5, min(counts[c] for c in targets) - 1)))
    cat_idx = [train.X.columns.get_loc(c) for c in train.discrete]
    sampler = SMOTENC(cat_idx, sampling_strategy=targets, k_neighbors=k, random_state=seed)
    X, y = sampler.fit_resample(train.X, train.y)
    return X.astype(train.X.dtypes.to_dict()), y


def _classical(
    train: LabeledDataset, plan: dict[int, int], seed: int, spec: list | None
) -> tuple[np.ndarray, np.ndarray]:
    from augment.augmentations import oversample  # albumentations, lazily

    if train.kind != "image":
        raise ValueError("the classical arm needs an image dataset")
    X_new, y_new = oversample(train.X, train.y, plan, spec, seed)
    return X_new.reshape(len(y_new), -1), y_new


def training_set(
    arm: str,
    splits: Splits,
    plan: dict[int, int],
    seed: int,
    model: Any = None,
    augmentations: list | None = None,
) -> tuple[Features, np.ndarray]:
    """The (X, y) an arm trains its classifier on, for one seed.

    ``augmentations`` is the albumentations spec of the classical arms (None: the default).
    """
    train = splits.train
    if arm == "classical":
        X_new, y_new = _classical(train, plan, seed, augmentations)
        return np.concatenate([features(train), X_new]), np.concatenate([train.y, y_new])
    if arm == "gan+classical":
        half = {c: n // 2 for c, n in plan.items()}
        X_gan, y_gan = synthesize(model, {c: n - half[c] for c, n in plan.items()}, seed, "image")
        X_cls, y_cls = _classical(train, half, seed, augmentations)
        parts = [features(train), X_cls] + ([X_gan] if len(y_gan) else [])
        return np.concatenate(parts), np.concatenate([train.y, y_cls, y_gan])
    if arm in ("baseline", "class_weight"):  # class_weight changes the classifier, not the data
        return features(train), train.y
    if arm == "random_oversample":
        return _random_oversample(train, plan, seed)
    if arm == "smotenc":
        return _smotenc(train, plan, seed)
    if arm == "oracle":
        if splits.oracle is None:
            raise ValueError("the oracle arm needs an induced imbalance")
        return features(splits.oracle), splits.oracle.y
    if arm == "smote":
        return _smote(train, plan, seed)
    if arm == "gan":
        X_syn, y_syn = synthesize(model, plan, seed, train.kind)
        if len(y_syn) == 0:
            return features(train), train.y
        X_real = features(train)
        if train.kind == "table":
            X = pd.concat(
                [X_real, X_syn[X_real.columns].astype(X_real.dtypes.to_dict())], ignore_index=True
            )
        else:
            X = np.concatenate([X_real, X_syn])
        return X, np.concatenate([train.y, y_syn])
    raise ValueError(f"unknown arm {arm!r}")


@dataclass
class ArmResult:
    arm: str
    per_seed: list[dict[str, float]]  # downstream metrics per seed
    confusion: np.ndarray  # summed over seeds, (K, K), rows = true class
    per_class_recall: list[float]  # mean over seeds, per class code
    n_train: int  # rows the classifier saw (first seed)


def run_arm(
    arm: str,
    splits: Splits,
    plan: dict[int, int],
    seeds: list[int],
    classifier: str,
    model: Any = None,
    augmentations: list | None = None,
) -> ArmResult:
    """Train the downstream classifier on the arm's training set per seed; evaluate on real test."""
    test = splits.test
    k = test.n_classes
    minority = minority_classes(splits.train.y, k)
    rows, recalls = [], []
    conf = np.zeros((k, k), dtype=np.int64)
    n_train = 0
    for seed in seeds:
        X, y = training_set(arm, splits, plan, seed, model, augmentations)
        n_train = n_train or len(y)
        weight = "balanced" if arm == "class_weight" else None
        clf = make_classifier(classifier, splits.train, seed, class_weight=weight).fit(X, y)
        pred = clf.predict(features(test))
        rows.append(downstream_metrics(test.y, pred, minority))
        conf += confusion_matrix(test.y, pred, labels=list(range(k)))
        recalls.append(
            recall_score(test.y, pred, labels=list(range(k)), average=None, zero_division=0)
        )
    return ArmResult(arm, rows, conf, np.mean(recalls, axis=0).tolist(), n_train)
