"""What several arms share: the classifier's features, GAN samples, per-class targets."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from augment.arms._registry import Features

if TYPE_CHECKING:
    from augment.data import LabeledDataset


def features(data: LabeledDataset) -> Features:
    """What the downstream classifier sees: the table, or flattened pixels."""
    return data.X if data.kind == "table" else data.features_2d()


def unchanged(data: LabeledDataset) -> tuple[Features, np.ndarray]:
    return features(data), data.y


def synthesize(
    model: Any, plan: dict[int, int], seed: int, kind: str, real: LabeledDataset | None = None
) -> tuple[Features, np.ndarray]:
    """Samples per class from a fitted conditional GAN, ``plan = {class code: n}``.

    With ``real`` (a table's train split) each class's rows are chosen as
    `augment.ConditionalGANOverSampler` does by default (`augment.selection.DEFAULT_SELECTION`,
    kernel herding towards the class's real rows) out of ``DEFAULT_POOL * n`` candidates.
    """
    chooser = None
    if real is not None and kind == "table":
        from augment.selection import DEFAULT_POOL, DEFAULT_SELECTION, make_selector

        chooser = make_selector(DEFAULT_SELECTION, real.X, real.y)
    parts, labels = [], []
    for i, (code, n) in enumerate(sorted(plan.items())):
        if n <= 0:
            continue
        if chooser is None:
            x = model.sample(n, code, random_state=seed * 1000 + i)
        else:
            x = model.sample(DEFAULT_POOL * n, code, random_state=seed * 1000 + i)
            x = x[real.X.columns].astype(real.X.dtypes.to_dict())
            keep = chooser.choose(x, code, n, np.random.default_rng(seed * 1000 + i))
            x = x.iloc[keep].reset_index(drop=True)
        parts.append(x if kind == "table" else x.reshape(n, -1))
        labels.append(np.full(n, code, dtype=np.int64))
    if not parts:
        return (pd.DataFrame() if kind == "table" else np.zeros((0, 0))), np.zeros(0, np.int64)
    X = pd.concat(parts, ignore_index=True) if kind == "table" else np.concatenate(parts)
    return X, np.concatenate(labels)


def targets(train: LabeledDataset, plan: dict[int, int]) -> dict[int, int]:
    """Each planned class's row count after oversampling (imblearn's ``sampling_strategy``)."""
    counts = np.bincount(train.y, minlength=train.n_classes)
    return {c: int(counts[c] + n) for c, n in plan.items() if n > 0}


def smote_neighbours(train: LabeledDataset, wanted: dict[int, int]) -> int:
    """SMOTE's k: at most 5, and fewer than the rows of the smallest class it oversamples."""
    counts = np.bincount(train.y, minlength=train.n_classes)
    return int(max(1, min(5, min(counts[c] for c in wanted) - 1)))


def classical_copies(draw, plan: dict[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Albumentations-augmented copies of real images per ``plan``, flattened."""
    from augment.imageaug import oversample  # albumentations, lazily

    train = draw.train
    if train.kind != "image":
        raise ValueError("the classical arm needs an image dataset")
    X_new, y_new = oversample(train.X, train.y, plan, draw.augmentations, draw.seed)
    return X_new.reshape(len(y_new), -1), y_new
