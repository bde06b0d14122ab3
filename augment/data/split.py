"""Stratified real-only test split and induced imbalance for demos."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.model_selection import train_test_split

from augment.data.dataset import LabeledDataset
from augment.data.missing import impute_splits
from augment.exceptions import InvalidDataError


@dataclass(frozen=True)
class Splits:
    """The data of one run.

    ``train`` is what every arm starts from (imbalanced when imbalance was induced),
    ``test`` is real data only and never touched by generation, ``oracle`` is the untouched
    train split when imbalance was induced (``None`` otherwise).
    """

    train: LabeledDataset
    test: LabeledDataset
    oracle: LabeledDataset | None
    reduced_classes: list[str]


def split_dataset(
    data: LabeledDataset, test_size: float, seed: int
) -> tuple[LabeledDataset, LabeledDataset]:
    """Stratified train/test split by integer positions."""
    counts = np.bincount(data.y, minlength=data.n_classes)
    n_test = int(np.ceil(test_size * len(data)))
    if n_test < data.n_classes or len(data) - n_test < data.n_classes:
        raise InvalidDataError(
            f"{data.name}: {len(data)} rows are too few for a stratified split with "
            f"test_size={test_size} over {data.n_classes} classes"
        )
    if counts.min() < 2:
        small = data.class_names[int(counts.argmin())]
        raise InvalidDataError(f"{data.name}: class {small!r} has fewer than 2 rows")
    idx = np.arange(len(data))
    train_idx, test_idx = train_test_split(
        idx, test_size=test_size, stratify=data.y, random_state=seed
    )
    _check_split_sizes(data, data.y[train_idx], data.y[test_idx], test_size)
    return data.subset(np.sort(train_idx)), data.subset(np.sort(test_idx))


MIN_TRAIN_ROWS = 10  # the quality metrics cross-validate with 5 folds


def _check_split_sizes(
    data: LabeledDataset, y_train: np.ndarray, y_test: np.ndarray, test_size: float
) -> None:
    """Every class needs 2 train rows (SMOTE needs a neighbour) and a test row; 10 train rows."""
    train_counts = np.bincount(y_train, minlength=data.n_classes)
    test_counts = np.bincount(y_test, minlength=data.n_classes)
    problem = None
    if train_counts.min() < 2:
        i = int(train_counts.argmin())
        problem = f"class {data.class_names[i]!r} gets {train_counts[i]} train row(s), 2 needed"
    elif test_counts.min() < 1:
        problem = f"class {data.class_names[int(test_counts.argmin())]!r} gets no test row"
    elif len(y_train) < MIN_TRAIN_ROWS:
        problem = f"the train split gets {len(y_train)} rows, {MIN_TRAIN_ROWS} needed"
    if problem:
        raise InvalidDataError(
            f"{data.name}: {len(data)} rows are too few for a stratified split with "
            f"test_size={test_size}: {problem}"
        )


def induce_imbalance(
    train: LabeledDataset, classes: list[str], fraction: float, seed: int
) -> LabeledDataset:
    """Keep ``fraction`` of the rows of each class in ``classes`` (at least 2 per class)."""
    unknown = [c for c in classes if c not in train.class_names]
    if unknown:
        raise InvalidDataError(
            f"{train.name}: imbalance class(es) {unknown} not in the classes {train.class_names}"
        )
    rng = np.random.default_rng(seed)
    keep = np.ones(len(train), dtype=bool)
    for name in classes:
        rows = np.flatnonzero(train.y == train.class_names.index(name))
        n_keep = max(2, int(round(fraction * len(rows))))
        drop = rng.permutation(rows)[n_keep:]
        keep[drop] = False
    return train.subset(np.flatnonzero(keep))


def make_splits(
    data: LabeledDataset,
    test_size: float,
    seed: int,
    imbalance_classes: list[str] | None,
    imbalance_fraction: float,
) -> Splits:
    """Split, then (optionally) reduce some classes of the train split.

    ``imbalance_classes=None`` uses the dataset's demo default (built-ins); ``[]`` induces none.
    Missing values kept by ``missing="impute"`` are filled from the (reduced) train split only.
    """
    train, test = split_dataset(data, test_size, seed)
    classes = data.demo_imbalance if imbalance_classes is None else imbalance_classes
    if not classes or imbalance_fraction >= 1.0:
        train, (test,) = impute_splits(train, [test])
        return Splits(train=train, test=test, oracle=None, reduced_classes=[])
    reduced = induce_imbalance(train, list(classes), imbalance_fraction, seed)
    reduced, (test, oracle) = impute_splits(reduced, [test, train])
    return Splits(train=reduced, test=test, oracle=oracle, reduced_classes=list(classes))
