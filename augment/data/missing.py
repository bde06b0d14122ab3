"""Missing and infinite feature values: reject (default), drop the rows, or impute.

``missing="impute"`` fills with the median (numeric columns) or the most frequent value (other
columns) computed on the *train split only* and applied to every split, so no statistic of the
test rows reaches training. The loader therefore keeps the NaNs and `make_splits` fills them.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Literal

import numpy as np
import pandas as pd

from augment.data.dataset import LabeledDataset
from augment.exceptions import InvalidDataError

Missing = Literal["error", "drop", "impute"]
MISSING_POLICIES: tuple[str, ...] = ("error", "drop", "impute")

log = logging.getLogger(__name__)


def _bad_mask(X: pd.DataFrame, continuous: list[str]) -> pd.DataFrame:
    """True where a value is missing, or infinite in a numeric column."""
    bad = X.isna()
    for col in continuous:
        bad[col] = bad[col] | np.isinf(X[col].to_numpy(dtype=float))
    return bad


def apply_missing_policy(
    X: pd.DataFrame, labels: pd.Series, continuous: list[str], where: str, missing: str
) -> tuple[pd.DataFrame, pd.Series]:
    """Reject, drop or mark for imputation the rows with missing/infinite features."""
    if missing not in MISSING_POLICIES:
        raise InvalidDataError(
            f"missing={missing!r} is not allowed; use one of {', '.join(MISSING_POLICIES)}"
        )
    bad = _bad_mask(X, continuous)
    if not bad.to_numpy().any():
        return X, labels
    if missing == "error":
        col = next(c for c in X.columns if bad[c].any())
        n_nan = int(X[col].isna().sum())
        if n_nan:
            raise InvalidDataError(
                f"{where}: feature column {col!r} has {n_nan} missing value(s); set data.missing"
                " (CLI --missing) to 'drop' (drop those rows) or 'impute' (median / most frequent"
                " of the train split)"
            )
        n_inf = int(bad[col].sum())
        raise InvalidDataError(
            f"{where}: feature column {col!r} has {n_inf} infinite value(s); only finite numbers"
            " are allowed (data.missing 'drop' or 'impute' treats them as missing)"
        )
    if missing == "drop":
        keep = ~bad.any(axis=1).to_numpy()
        if not keep.any():  # before the warning: one line, naming the columns to blame
            empty = [c for c in X.columns if bad[c].all()]
            why = f"; column(s) {empty} have no value at all: drop them" if empty else ""
            raise InvalidDataError(
                f"{where}: every row has a missing value, nothing left to use{why}"
            )
        log.warning("%s: dropping %d row(s) with missing values", where, int((~keep).sum()))
        return X[keep].reset_index(drop=True), labels[keep].reset_index(drop=True)
    # impute: keep NaN (inf becomes NaN) until the train split is known
    X = X.copy()
    for col in continuous:
        values = X[col].to_numpy(dtype=float)
        if np.isinf(values).any():
            X[col] = X[col].where(~np.isinf(values))
    return X, labels


def impute_splits(
    train: LabeledDataset, others: list[LabeledDataset | None]
) -> tuple[LabeledDataset, list[LabeledDataset | None]]:
    """Fill NaN features of ``train`` and ``others`` with statistics of ``train`` only."""
    if train.kind != "table":
        return train, others
    parts = [train] + [o for o in others if o is not None]
    if not any(d.X.isna().to_numpy().any() for d in parts):
        return train, others
    fill: dict[str, object] = {}
    for col in train.X.columns:
        values = train.X[col].dropna()
        if values.empty:
            raise InvalidDataError(
                f"{train.name}: feature column {col!r} has no value in the train split to impute"
                " from; drop the column or use data.missing='drop'"
            )
        if col in train.continuous:
            fill[col] = float(values.median())
        else:
            fill[col] = values.value_counts().index[0]  # most frequent, ties: first seen
    log.info("imputed missing values with train-split statistics: %s", fill)

    def _fill(d: LabeledDataset | None) -> LabeledDataset | None:
        if d is None:
            return None
        X = d.X.copy()
        for col, value in fill.items():
            if X[col].isna().any():
                X[col] = X[col].fillna(value)
        return replace(d, X=X)

    return _fill(train), [_fill(o) for o in others]
