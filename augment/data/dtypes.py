"""Column dtypes normalised at load: the one place a table's dtypes are decided.

The arms and the GANs handle numpy numbers (continuous), ``bool`` and text or mixed ``object``
values (discrete). Everything else pandas can hold is converted here, or refused with one line
naming the column, its dtype and what to do:

- nullable integers / floats (``Int64``, ``Float64``, Arrow numbers): their numpy dtype, or
  float64 when a value is missing (NA becomes NaN, so the ``missing`` policy applies);
- unsigned 64-bit integers (``read_csv``'s dtype for integers past ``2**63 - 1``): int64 when
  every value fits, else float64 (a warning says so); no other part of the pipeline (MLflow's
  model schema, torch) has that dtype;
- nullable ``boolean``: ``bool``, or ``object`` True/False/NaN when a value is missing (as
  ``read_csv`` gives a boolean column with blanks);
- ``string`` and ``category``: text, pandas' own dtype for it (what ``read_csv`` gives);
- dates and durations (datetime64 with or without a time zone, periods, timedelta64,
  ``datetime.date`` / ``timedelta`` objects): a feature becomes float seconds (since
  1970-01-01 UTC, or of the duration; a warning says so), a label its text;
- ``Decimal`` objects: float64;
- intervals, complex numbers, bytes, times of day, other objects, and columns that mix dates
  or durations with other values: refused.
"""

from __future__ import annotations

import datetime
import decimal
import logging
from numbers import Real

import numpy as np
import pandas as pd

from augment.exceptions import InvalidDataError

log = logging.getLogger(__name__)

TEXT = pd.Series(["text"]).dtype  # pandas' dtype for text: str (pandas >= 3) or object
_DATES = (datetime.date, np.datetime64)  # datetime.datetime and pd.Timestamp are dates too
_DURATIONS = (datetime.timedelta, np.timedelta64)  # pd.Timedelta too


def normalise_dtypes(df: pd.DataFrame, where: str, label: str | None = None) -> pd.DataFrame:
    """``df`` with every column in a dtype the models handle (see the module docstring).

    Raises
    ------
    InvalidDataError
        A column holds values that cannot be used (names the column, its dtype, what to do).
    """
    columns = {}
    for c in df.columns:
        s = _normalise(df[c], c, where, is_label=c == label)
        columns[c] = s if c == label else _signed(s, c, where)
    return pd.DataFrame(columns, index=df.index)


def _signed(s: pd.Series, col: str, where: str) -> pd.Series:
    """A uint64 feature as int64 when every value fits, else float64 (with a warning)."""
    if s.dtype != np.uint64:
        return s
    if len(s) == 0 or s.max() <= np.iinfo(np.int64).max:
        return s.astype(np.int64)
    log.warning("%s: column %r holds integers past 2**63 - 1: used as float64", where, col)
    return s.astype(np.float64)


def _refuse(col: str, what: str, where: str, todo: str) -> InvalidDataError:
    return InvalidDataError(f"{where}: column {col!r} {what}; {todo}")


def _normalise(s: pd.Series, col: str, where: str, is_label: bool) -> pd.Series:
    """One column in a dtype the models handle."""
    dtype = s.dtype
    if isinstance(dtype, pd.SparseDtype):
        return _normalise(s.sparse.to_dense(), col, where, is_label)
    if isinstance(dtype, pd.CategoricalDtype):  # classes: their text
        return _text(s.astype(object))
    if isinstance(dtype, pd.IntervalDtype) or dtype.kind == "c":
        what = "intervals" if dtype.kind != "c" else "complex numbers"
        raise _refuse(
            col,
            f"has dtype {dtype} ({what})",
            where,
            "convert it to real numbers or text, or drop it",
        )
    if isinstance(dtype, pd.PeriodDtype):
        return _time(s.dt.to_timestamp(), col, where, is_label, duration=False)
    if dtype.kind in "mM":
        return _time(s, col, where, is_label, duration=dtype.kind == "m")
    if not isinstance(dtype, pd.api.extensions.ExtensionDtype):
        is_object = pd.api.types.is_object_dtype(dtype)
        return _objects(s, col, where, is_label) if is_object else s  # numpy: as it is
    if pd.api.types.is_string_dtype(dtype) and not pd.api.types.is_object_dtype(dtype):
        return s if dtype == TEXT else _text(s.astype(object))
    if dtype.kind in "iufb":  # nullable / Arrow numbers and booleans
        if s.isna().any():
            if dtype.kind == "b":
                return s.astype(object).where(s.notna(), np.nan)
            return pd.Series(s.to_numpy(dtype="float64", na_value=np.nan), index=s.index)
        return pd.Series(s.to_numpy(dtype=dtype.numpy_dtype), index=s.index)
    return _objects(s.astype(object), col, where, is_label)  # other extensions: their values


def _text(values: pd.Series) -> pd.Series:
    """Object values as text, missing ones NaN, in pandas' dtype for text."""
    strings = values.map(str, na_action="ignore").where(values.notna(), np.nan)
    return strings if pd.api.types.is_object_dtype(TEXT) else strings.astype(TEXT)


def _time(s: pd.Series, col: str, where: str, is_label: bool, duration: bool) -> pd.Series:
    """Dates or durations: their text for a label, float seconds for a feature."""
    if is_label:
        if s.dtype.kind in "mM":  # pandas' own format: no time of day when there is none
            return _text(s.astype(str).where(s.notna(), None).astype(object))
        return _text(s)
    try:
        if duration:
            seconds = pd.to_timedelta(s).dt.total_seconds()
        else:
            stamps = pd.to_datetime(s, utc=True)
            epoch = pd.Timestamp(0, tz="UTC").as_unit(stamps.dt.unit)  # years 1..9999 fit
            seconds = (stamps - epoch).dt.total_seconds()
    except (ValueError, TypeError, OverflowError) as err:
        what = "durations" if duration else "dates"
        raise _refuse(
            col,
            f"holds {what} that cannot be converted to seconds ({str(err).splitlines()[0]})",
            where,
            "convert it to numbers yourself, or drop it",
        ) from None
    origin = "of the duration" if duration else "since 1970-01-01 UTC"
    log.warning("%s: column %r (%s) is used as seconds %s", where, col, s.dtype, origin)
    return seconds.astype("float64")


def _kind(value: object) -> str:
    """What a value of an object column is: text, bool, number, date, duration or other."""
    if isinstance(value, str):
        return "text"
    if isinstance(value, (bool, np.bool_)):
        return "bool"
    if isinstance(value, (Real, decimal.Decimal)) and not isinstance(value, _DURATIONS):
        return "number"
    if isinstance(value, _DURATIONS):
        return "duration"
    if isinstance(value, _DATES):
        return "date"
    return type(value).__name__


def _objects(s: pd.Series, col: str, where: str, is_label: bool) -> pd.Series:
    """An object column: text, booleans and numbers stay (Decimals become float64), dates and
    durations are converted as their dtypes are, anything else is refused."""
    present = s[s.notna()]
    kinds = set(present.map(_kind)) if len(present) else set()
    other = sorted(kinds - {"text", "bool", "number", "date", "duration"})
    if other:
        raise _refuse(
            col,
            f"holds values of type {', '.join(other)}",
            where,
            "only numbers, text, booleans and dates are allowed (decode bytes to text, convert"
            " times to numbers, or drop the column)",
        )
    if kinds and kinds <= {"date", "duration"}:
        if len(kinds) == 2:
            raise _refuse(col, "mixes dates and durations", where, "use one kind per column")
        return _time(s.where(s.notna(), None), col, where, is_label, kinds == {"duration"})
    if kinds & {"date", "duration"}:
        mixed = ", ".join(sorted(kinds))
        raise _refuse(
            col,
            f"mixes dates or durations with other values ({mixed})",
            where,
            "use one kind of value per column (dates as text or as numbers)",
        )
    if kinds == {"number"} and present.map(lambda v: isinstance(v, decimal.Decimal)).any():
        return pd.to_numeric(s.map(float, na_action="ignore"), errors="raise").astype("float64")
    return s
