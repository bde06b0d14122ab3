"""Balance plan: how many synthetic rows each class needs, with imbalanced-learn semantics."""

from __future__ import annotations

import reprlib
from collections.abc import Mapping
from numbers import Integral, Real
from typing import Any

import numpy as np
from imblearn.utils import check_sampling_strategy

from augment.exceptions import InvalidDataError

STRATEGIES = ("auto", "minority", "not minority", "not majority", "all")
MAX_TARGET = 10_000_000  # rows a {class: target count} may ask for, per class
_ALLOWED = (
    f"use one of {', '.join(map(repr, STRATEGIES))}, a float in (0, 1] (binary only) or a"
    f" mapping {{class: target count}} with counts 0..{MAX_TARGET}"
)
# a value quoted in an error is cut short: a nested YAML value can be huge (aliases)
_short = reprlib.Repr()
_short.maxlevel, _short.maxdict, _short.maxlist, _short.maxtuple = 2, 4, 4, 4
_short.maxstring = _short.maxother = 40


def check_strategy(value: Any) -> Any:
    """``value`` when it has a shape imbalanced-learn's over-samplers take for
    ``sampling_strategy`` (a mapping comes back as a dict), else `InvalidDataError` naming it.

    Whether the classes and counts suit the data is `balance_plan`'s check, on the data.
    """
    if isinstance(value, str):
        if value in STRATEGIES:
            return value
    elif isinstance(value, Real) and not isinstance(value, bool):
        if 0 < value <= 1:  # nan fails both
            return value
    elif isinstance(value, Mapping):
        for cls, n in value.items():
            if not isinstance(cls, (str, Real)):
                raise InvalidDataError(
                    f"sampling_strategy key {_short.repr(cls)} is not allowed; a key is a class"
                    " name or number"
                )
            if isinstance(n, bool) or not isinstance(n, Integral) or not 0 <= n <= MAX_TARGET:
                raise InvalidDataError(
                    f"sampling_strategy[{_short.repr(cls)}]={_short.repr(n)} is not allowed; a"
                    f" target count is an integer in 0..{MAX_TARGET}"
                )
        return dict(value)
    raise InvalidDataError(f"sampling_strategy={_short.repr(value)} is not allowed; {_ALLOWED}")


def balance_plan(
    y: np.ndarray, sampling_strategy: Any = "auto", class_names: list[str] | None = None
) -> dict[Any, int]:
    """Rows to generate per class, as imbalanced-learn's over-samplers read ``sampling_strategy``.

    Parameters
    ----------
    y : array of labels
    sampling_strategy : str, float or dict
        ``"auto"`` / ``"not majority"``: every class but the majority up to the majority count;
        ``"minority"``, ``"not minority"``, ``"all"``; a float (binary only): the minority reaches
        that ratio of the majority; a dict ``{class: target_total}`` (totals, not additions).
    class_names : list of str, optional
        Names of the integer codes in ``y``: dict keys may then be class names (as users write
        them in a config file), and errors list the names.

    Returns
    -------
    dict
        ``{class: n_to_generate}`` for every class of ``y`` (0 where nothing is added).
    """
    y = np.asarray(y)
    given = _short.repr(sampling_strategy)  # errors quote what the user wrote
    sampling_strategy = check_strategy(sampling_strategy)
    if isinstance(sampling_strategy, dict):
        # YAML/CLI give class names as strings; match them to the label values
        by_name = {str(c): c for c in np.unique(y)}
        if class_names is not None:  # names win over codes when both could match
            by_name |= {class_names[int(c)]: c for c in np.unique(y)}
        unknown = [k for k in sampling_strategy if str(k) not in by_name]
        if unknown:
            raise InvalidDataError(
                f"sampling_strategy names unknown class(es) {_short.repr(unknown)}; classes are "
                f"{sorted(class_names) if class_names is not None else sorted(by_name)}"
            )
        sampling_strategy = {by_name[str(k)]: v for k, v in sampling_strategy.items()}
    try:
        plan = check_sampling_strategy(sampling_strategy, y, "over-sampling")
    except (ValueError, TypeError) as err:
        raise InvalidDataError(f"sampling_strategy={given}: {err}") from None
    return {c: int(plan.get(c, 0)) for c in np.unique(y)}
