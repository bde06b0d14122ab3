"""What several arms share: the classifier's features, per-class targets, classical copies."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from augment.arms._registry import Features

if TYPE_CHECKING:
    from augment.data import LabeledDataset


def features(data: LabeledDataset) -> Features:
    """What the downstream classifier sees: the table, or flattened pixels."""
    return data.X if data.kind == "table" else data.features_2d()


def unchanged(data: LabeledDataset) -> tuple[Features, np.ndarray]:
    return features(data), data.y


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
