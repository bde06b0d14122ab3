"""No leakage between generation and evaluation: the test split is real data only.

The flow fixes the test split (and its content hash) before any GAN is fitted, and after
generation calls `check_no_leakage`, which fails when

- the test split changed since it was made (something was added to or edited in it),
- it holds rows flagged ``is_synthetic``,
- one of its rows is identical (by hash) to a synthetic row, unless that row also occurs in the
  train split (duplicates in the source data are not leakage).

The last check is exact only where a chance collision is impossible: with a float feature or
image pixels. Tables made only of categories and integers can produce a real row by chance, so
there the overlap is reported, not raised, and logged only when it is clearly above chance:
at least `MIN_OVERLAP` such test rows, and per distinct row the generator makes the test rows
absent from the train split more than `CHANCE_FACTOR` times as often as it makes the train rows
it was fitted on. A generator that makes valid rows makes unseen real ones too, and on a table
whose test rows often equal a train row (``test_rows_equal_to_train``, the data's own duplicate
rate) it makes them often; it has no reason to prefer rows it never saw, unless they reached it.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

import numpy as np
import pandas as pd

from augment.data import LabeledDataset, Splits
from augment.experiment.generation import draw, run_selector

log = logging.getLogger(__name__)

SYNTHETIC_FLAG = "is_synthetic"
CHANCE_FACTOR = 2.0  # test rows made per row above this many times the chance rate: logged
MIN_OVERLAP = 3  # fewer test rows equal to synthetic ones are never logged


class LeakageError(RuntimeError):
    """Synthetic data reached the test split, or the split changed after generation began."""


def row_keys(X: pd.DataFrame | np.ndarray) -> list[int]:
    """One 64-bit hash per row, in order (tables by value and dtype, arrays by bytes)."""
    if isinstance(X, pd.DataFrame):
        if X.shape[1] == 0:
            return []
        return pd.util.hash_pandas_object(X.reset_index(drop=True), index=False).tolist()
    if len(X) == 0:  # nothing generated (a balanced class plan): an empty (0, 0) array
        return []
    flat = np.ascontiguousarray(np.asarray(X).reshape(len(X), -1))
    return [
        int.from_bytes(hashlib.blake2b(row.tobytes(), digest_size=8).digest(), "little")
        for row in flat
    ]


def row_hashes(X: pd.DataFrame | np.ndarray) -> set[int]:
    """The set of `row_keys`."""
    return set(row_keys(X))


def gan_arm_synthetic(
    model: Any, train: LabeledDataset, plan: dict[int, int], classifier_seeds: list[int]
) -> list[pd.DataFrame | np.ndarray]:
    """The synthetic rows the ``gan`` arm trains on, per seed, as `augment.arms` makes them."""
    out = []
    chooser = run_selector(train)
    for seed in classifier_seeds:
        X, _ = draw(model, plan, chooser, seed, like=train.X, kind=train.kind)
        if len(X) and train.kind == "table":
            X = X[train.X.columns].astype(train.X.dtypes.to_dict())
        out.append(X)
    return out


def _exact_matters(test: LabeledDataset) -> bool:
    """True when an identical row cannot happen by chance (float features or pixels)."""
    if test.kind == "image":
        return True
    return any(pd.api.types.is_float_dtype(test.X[c]) for c in test.continuous)


def _above_chance(
    overlap: set[int],
    test_rows: set[int],
    train_rows: set[int],
    synthetic_rows: set[int],
) -> bool:
    """Whether the synthetic rows make unseen test rows clearly more often than chance does."""
    unseen = test_rows - train_rows
    if len(overlap) < MIN_OVERLAP or not unseen:
        return False
    made_train = len(train_rows & synthetic_rows) / max(len(train_rows), 1)
    return len(overlap) / len(unseen) > CHANCE_FACTOR * made_train


def check_no_leakage(
    splits: Splits,
    synthetic: list[pd.DataFrame | np.ndarray],
    test_hash: str | None = None,
) -> dict[str, Any]:
    """Assert the test split is real only; return what was checked (for the run summary).

    Parameters
    ----------
    splits : Splits
        The run's splits; ``splits.test`` must be the one made before generation.
    synthetic : list of DataFrame or ndarray
        Every batch of synthetic rows the run produced.
    test_hash : str, optional
        ``splits.test.content_hash()`` taken right after the split, before generation.

    Raises
    ------
    LeakageError
    """
    test = splits.test
    where = test.name
    if test_hash is not None and test.content_hash() != test_hash:
        raise LeakageError(f"{where}: the test split changed after it was made (before generation)")
    if test.kind == "table" and SYNTHETIC_FLAG in test.X.columns:
        flagged = int(test.X[SYNTHETIC_FLAG].astype(bool).sum())
        if flagged:
            raise LeakageError(f"{where}: the test split holds {flagged} row(s) flagged synthetic")
    test_keys = row_keys(test.X)
    test_rows = set(test_keys)
    train_rows = row_hashes(splits.train.X)
    synthetic_rows: set[int] = set()
    n_synthetic = 0
    for X in synthetic:
        n_synthetic += len(X)
        synthetic_rows |= row_hashes(X)
    overlap = (test_rows & synthetic_rows) - train_rows
    equal_to_train = sum(k in train_rows for k in test_keys)
    if overlap and _exact_matters(test):
        raise LeakageError(
            f"{where}: {len(overlap)} test row(s) are identical to synthetic rows and absent from"
            " the train split: synthetic data reached the test split, or the generator saw it"
        )
    above = _above_chance(overlap, test_rows, train_rows, synthetic_rows)
    if above:
        log.warning(
            "%s: %d test row(s) absent from the train split equal a synthetic row, more than"
            " chance explains on this categorical/integer table (%.0f%% of the test rows equal a"
            " train row): synthetic data may have reached the test split",
            where,
            len(overlap),
            100 * equal_to_train / max(len(test_keys), 1),
        )
    return {
        "test_rows": len(test),
        "synthetic_rows_checked": n_synthetic,
        "test_rows_equal_to_synthetic": len(overlap),
        "test_rows_equal_to_train": equal_to_train,
        "overlap_above_chance": above,
        "test_split_hash": test.content_hash(),
        "passed": True,
    }
