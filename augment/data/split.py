"""Stratified real-only test split and induced imbalance for demos."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace

import numpy as np
from sklearn.model_selection import train_test_split

from augment.data.dataset import LabeledDataset
from augment.data.missing import impute_splits
from augment.exceptions import InvalidDataError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Splits:
    """The data of one run.

    ``train`` is what every arm starts from (imbalanced when imbalance was induced),
    ``test`` is real data only and never touched by generation, ``oracle`` is the untouched
    train split when imbalance was induced (``None`` otherwise). ``dropped_classes``: the
    classes left out for having fewer than ``min_class_rows`` rows, with their row counts.
    """

    train: LabeledDataset
    test: LabeledDataset
    oracle: LabeledDataset | None
    reduced_classes: list[str]
    dropped_classes: dict[str, int] = field(default_factory=dict)


def drop_rare_classes(data: LabeledDataset, min_rows: int) -> tuple[LabeledDataset, dict[str, int]]:
    """``data`` without the classes of fewer than ``min_rows`` rows (class codes renumbered),
    and those classes with their counts; said in one warning line.

    Raises
    ------
    InvalidDataError
        Fewer than 2 classes would be left.
    """
    counts = np.bincount(data.y, minlength=data.n_classes)
    rare = [i for i, c in enumerate(counts) if c < min_rows]
    if not rare:
        return data, {}
    dropped = {data.class_names[i]: int(counts[i]) for i in rare}
    kept = [i for i in range(data.n_classes) if i not in rare]
    if len(kept) < 2:
        raise InvalidDataError(
            f"{data.name}: min_class_rows={min_rows} would leave {len(kept)} class(es); at least"
            f" 2 classes are needed (class rows: {data.class_counts()}); lower data.min_class_rows"
        )
    recode = np.full(data.n_classes, -1, dtype=np.int64)
    recode[kept] = np.arange(len(kept))
    rows = np.flatnonzero(recode[data.y] >= 0)
    sub = data.subset(rows)
    out = replace(
        sub,
        y=recode[sub.y],
        class_names=[data.class_names[i] for i in kept],
        demo_imbalance=[c for c in data.demo_imbalance if c not in dropped],
    )
    said = ", ".join(f"{name!r} ({n} row{'s' if n != 1 else ''})" for name, n in dropped.items())
    log.warning(
        "%s: dropped class(es) with fewer than min_class_rows=%d rows: %s",
        data.name,
        min_rows,
        said,
    )
    return out, dropped


def _too_small(data: LabeledDataset, name: str, test_size: float, why: str) -> InvalidDataError:
    """The error of a class too small to split: the class, its count, and the way out."""
    n = int(np.sum(data.y == data.class_names.index(name)))
    return InvalidDataError(
        f"{data.name}: class {name!r} has {n} row{'s' if n != 1 else ''}, too few for a stratified"
        f" split with test_size={test_size} ({why}); drop the classes this small with"
        f" data.min_class_rows: {max(n + 1, 3)} (a config key), or add rows to the class"
    )


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
        raise _too_small(data, small, test_size, "every class needs 2 train rows and a test row")
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
    table_small = len(y_train) < MIN_TRAIN_ROWS  # then the rows are the cause, not one class
    if train_counts.min() < 2:
        i = int(train_counts.argmin())
        if not table_small:
            why = f"it gets {train_counts[i]} train row(s), 2 are needed"
            raise _too_small(data, data.class_names[i], test_size, why)
        problem = f"class {data.class_names[i]!r} gets {train_counts[i]} train row(s), 2 needed"
    elif test_counts.min() < 1:
        i = int(test_counts.argmin())
        if not table_small:
            raise _too_small(data, data.class_names[i], test_size, "it gets no test row")
        problem = f"class {data.class_names[i]!r} gets no test row"
    elif table_small:
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
            f"{train.name}: imbalance class(es) {unknown} (data.imbalance_classes) not in the"
            f" classes {train.class_names}"
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
    min_class_rows: int = 0,
) -> Splits:
    """Drop classes of fewer than ``min_class_rows`` rows, split, then (optionally) reduce some
    classes of the train split.

    ``imbalance_classes=None`` uses the dataset's demo default (built-ins); ``[]`` induces none.
    Missing values kept by ``missing="impute"`` are filled from the (reduced) train split only.
    """
    data, dropped = drop_rare_classes(data, min_class_rows)
    train, test = split_dataset(data, test_size, seed)
    classes = data.demo_imbalance if imbalance_classes is None else imbalance_classes
    if not classes or imbalance_fraction >= 1.0:
        train, (test,) = impute_splits(train, [test])
        return Splits(train, test, oracle=None, reduced_classes=[], dropped_classes=dropped)
    reduced = induce_imbalance(train, list(classes), imbalance_fraction, seed)
    reduced, (test, oracle) = impute_splits(reduced, [test, train])
    return Splits(reduced, test, oracle, reduced_classes=list(classes), dropped_classes=dropped)
