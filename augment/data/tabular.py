"""Load labelled tables from CSV or Parquet, with clear errors on unusable input."""

from __future__ import annotations

import csv
import difflib
import logging
from pathlib import Path

import numpy as np
import pandas as pd

from augment.data.dataset import LabeledDataset, encode_labels
from augment.data.dtypes import normalise_dtypes
from augment.data.missing import apply_missing_policy
from augment.data.notes import one_warning
from augment.exceptions import InvalidDataError

log = logging.getLogger(__name__)

# an integer column of at most this many distinct values, under `CODES_SHARE` of the rows, is
# taken as category codes (discrete) unless data.discrete says which columns are
MAX_CODES = 10
CODES_SHARE = 0.05

TABLE_SUFFIXES = {".csv": "csv", ".tsv": "csv", ".parquet": "parquet", ".pq": "parquet"}


def read_table(path: Path, label: str | None = None) -> pd.DataFrame:
    """Read a CSV/TSV/Parquet file, turning reader failures into `InvalidDataError`.

    A CSV's ``label`` column holds the labels as written (see `_labels_as_written`)."""
    fmt = TABLE_SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        allowed = ", ".join(sorted(TABLE_SUFFIXES))
        raise InvalidDataError(f"{path}: unsupported file type {path.suffix!r}; allowed: {allowed}")
    if not path.is_file():  # a FIFO blocks a reader, a device never ends (links followed)
        raise InvalidDataError(f"{path}: not a regular file; give a {fmt} file")
    if path.stat().st_size == 0:
        raise InvalidDataError(f"{path}: file is empty")
    try:
        if fmt == "parquet":
            return pd.read_parquet(path)
        sep = "\t" if path.suffix.lower() == ".tsv" else ","
        df = pd.read_csv(path, sep=sep)
    except pd.errors.EmptyDataError:
        raise InvalidDataError(f"{path}: file is empty") from None
    except (pd.errors.ParserError, UnicodeDecodeError, OSError, ValueError) as err:
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise InvalidDataError(f"{path}: cannot be read as {fmt}: {first}") from None
    _check_unique_header(path, sep)
    if label is not None and label in df.columns:
        df[label] = _labels_as_written(path, sep, label, len(df))
    return df


def _labels_as_written(path: Path, sep: str, label: str, n_rows: int) -> pd.Series:
    """The ``label`` column of a CSV as its text: ``01`` and ``1``, ``True`` and ``true`` are
    different classes and ``NA`` / ``None`` are classes (only an empty cell is missing), unless
    every label is a number: then they are numbers, as pandas reads them."""
    # read again, this column only: pandas cannot turn its NA strings off for one column
    raw = pd.read_csv(
        path, sep=sep, usecols=[label], dtype=str, keep_default_na=False, na_values=[""]
    )[label]
    assert len(raw) == n_rows, "the label column was read with another number of rows"
    present = raw.dropna()
    numbers = pd.to_numeric(present, errors="coerce")
    if len(present) and numbers.notna().all() and np.isfinite(numbers.to_numpy(float)).all():
        return pd.to_numeric(raw)
    return raw


def _check_unique_header(path: Path, sep: str) -> None:
    """pandas renames a repeated CSV header name (``y`` -> ``y.1``): refuse it instead."""
    with open(path, encoding="utf-8", newline="") as f:
        header = next(csv.reader(f, delimiter=sep), [])
    dup = sorted({c for c in header if header.count(c) > 1})
    if dup:
        raise InvalidDataError(
            f"{path}: duplicate column name(s) {dup} in the header; every column needs its own name"
        )


def _check_flat_columns(X: pd.DataFrame, where: str) -> None:
    """Parquet list/struct/map columns hold containers, not values: refuse them by name."""
    nested = [
        c
        for c in X.columns
        if X[c].dtype == object
        and X[c].map(lambda v: isinstance(v, (list, tuple, dict, set, np.ndarray))).any()
    ]
    if nested:
        raise InvalidDataError(
            f"{where}: column(s) {nested} hold lists/structs; only flat numbers, text, booleans"
            " and dates are allowed (flatten or drop them)"
        )


def _check_not_regression(labels: pd.Series, names: list[str], where: str, label: str) -> None:
    """A float label with many distinct values is a regression target, not classes."""
    if pd.api.types.is_float_dtype(labels) and len(names) > 20:
        non_integer = (labels != labels.round()).any()
        if non_integer:
            raise InvalidDataError(
                f"{where}: label {label!r} has {len(names)} distinct float values (e.g."
                f" {', '.join(names[:3])}); it looks like a regression target, and augment needs"
                " classes"
            )


def _column_kinds(
    X: pd.DataFrame, where: str, discrete: list[str] | None = None
) -> tuple[list[str], list[str]]:
    """Split feature columns into continuous (numeric) and discrete (bool, text, category, the
    ``discrete`` columns). ``discrete=None``: integer columns that look like category codes
    (`MAX_CODES`, `CODES_SHARE`) are discrete too, said in one warning line."""
    given = set(discrete or [])
    codes = []
    continuous, out = [], []
    for col in X.columns:
        s = X[col]
        if pd.api.types.is_bool_dtype(s) or not pd.api.types.is_numeric_dtype(s) or col in given:
            out.append(col)
        elif discrete is None and _looks_like_codes(s):
            out.append(col)
            codes.append(col)
        else:
            continuous.append(col)
    if codes:
        log.warning(
            "%s: integer column(s) %s of at most %d distinct values are treated as categories;"
            " set data.discrete (a list of columns, [] for none) to choose",
            where,
            ", ".join(repr(c) for c in codes),
            MAX_CODES,
        )
    return continuous, out


def _looks_like_codes(s: pd.Series) -> bool:
    """An integer column with few distinct values for its length: category codes."""
    if not pd.api.types.is_integer_dtype(s):
        return False
    n = s.nunique()
    return n <= MAX_CODES and n < CODES_SHARE * len(s)


def check_discrete(columns: list[str], discrete: list[str] | None, where: str, label: str) -> None:
    """Every column named in data.discrete is a feature column."""
    if label in (discrete or []):
        raise InvalidDataError(
            f"{where}: data.discrete names the label column {label!r}; list feature columns only"
        )
    unknown = [c for c in discrete or [] if c not in columns]
    if unknown:
        close = difflib.get_close_matches(unknown[0], columns, n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        raise InvalidDataError(
            f"{where}: data.discrete column(s) {', '.join(repr(c) for c in unknown)} are not a"
            f" feature column{hint} (columns: {', '.join(columns[:20])})"
        )


def check_labels(
    y: np.ndarray, class_names: list[str], where: str, label: str, min_class_rows: int = 0
) -> None:
    """Require at least two classes and at least two rows in each (but in the classes of
    fewer than ``min_class_rows`` rows, which the split drops)."""
    if len(class_names) < 2:
        only = class_names[0] if class_names else "(none)"
        raise InvalidDataError(
            f"{where}: label {label!r} has a single class ({only!r}); at least 2 are needed"
        )
    counts = np.bincount(y, minlength=len(class_names))
    small = [
        f"{class_names[i]!r} ({c} row)" for i, c in enumerate(counts) if min_class_rows <= c < 2
    ]
    if small:
        raise InvalidDataError(
            f"{where}: class(es) with fewer than 2 rows in label {label!r}: {', '.join(small)};"
            " every class needs at least 2 rows (or drop the small classes with"
            " data.min_class_rows: 3)"
        )


@one_warning
def dataset_from_frame(
    df: pd.DataFrame,
    label: str | None,
    name: str,
    missing: str = "error",
    min_class_rows: int = 0,
    discrete: list[str] | None = None,
) -> LabeledDataset:
    """Build a `LabeledDataset` from a DataFrame whose column ``label`` holds the classes.

    Column dtypes are normalised first (`augment.data.dtypes`: nullable numbers, categories,
    dates and durations converted, unusable ones refused).
    ``missing`` says what to do with NaN / infinite feature values: ``"error"`` (default),
    ``"drop"`` the rows, or ``"impute"`` (kept as NaN here, filled from the train split by
    `make_splits`). A missing label is always an error. Classes of fewer than
    ``min_class_rows`` rows may have a single row (`make_splits` drops them). ``discrete``:
    the numeric columns to treat as categories; None detects integer category codes.
    """
    if df.shape[1] == 0 or len(df) == 0:
        what = "no columns" if df.shape[1] == 0 else "a header but no rows"
        raise InvalidDataError(f"{name}: table has {what}")
    columns = [str(c) for c in df.columns]
    df = df.set_axis(columns, axis=1)
    if label is None:
        raise InvalidDataError(
            f"{name}: no label column given; pass --label with one of: {', '.join(columns[:20])}"
        )
    if label not in columns:
        close = difflib.get_close_matches(label, columns, n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        raise InvalidDataError(
            f"{name}: label column {label!r} not found{hint} (columns: {', '.join(columns[:20])})"
        )
    if len(set(columns)) != len(columns):
        dup = sorted({c for c in columns if columns.count(c) > 1})
        raise InvalidDataError(f"{name}: duplicate column name(s) {dup}")
    _check_flat_columns(df.drop(columns=[label]), name)
    df = normalise_dtypes(df, name, label)
    labels = df[label]
    n_missing = int(labels.isna().sum())
    if n_missing:
        raise InvalidDataError(
            f"{name}: label column {label!r} has {n_missing} missing value(s); every row needs a"
            " class"
        )
    X = df.drop(columns=[label]).reset_index(drop=True)
    if X.shape[1] == 0:
        raise InvalidDataError(f"{name}: table has only the label column {label!r}, no features")
    check_discrete(list(X.columns), discrete, name, label)
    continuous, discrete = _column_kinds(X, name, discrete)
    X, labels = apply_missing_policy(X, labels, continuous, name, missing)
    y, class_names = encode_labels(labels)
    _check_not_regression(labels, class_names, name, label)
    check_labels(y, class_names, name, label, min_class_rows)
    return LabeledDataset(
        name=name,
        X=X,
        y=y,
        class_names=class_names,
        kind="table",
        continuous=continuous,
        discrete=discrete,
        label=label,
        missing=missing,
    )


@one_warning
def load_table(
    path: Path,
    label: str | None,
    missing: str = "error",
    min_class_rows: int = 0,
    discrete: list[str] | None = None,
) -> LabeledDataset:
    """Load a CSV or Parquet file with class column ``label``."""
    df = read_table(path, label)
    return dataset_from_frame(df, label, str(path), missing, min_class_rows, discrete)
