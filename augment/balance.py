"""Balance plan: how many synthetic rows each class needs, with imbalanced-learn semantics."""

from __future__ import annotations

from typing import Any

import numpy as np
from imblearn.utils import check_sampling_strategy

from augment.exceptions import InvalidDataError

STRATEGIES = ("auto", "minority", "not minority", "not majority", "all")


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
    given = sampling_strategy  # errors quote what the user wrote
    if isinstance(sampling_strategy, str) and sampling_strategy not in STRATEGIES:
        raise InvalidDataError(
            f"sampling_strategy={sampling_strategy!r} is not allowed; use one of "
            f"{', '.join(map(repr, STRATEGIES))}, a float in (0, 1] (binary only) or "
            "a dict {class: target count}"
        )
    if isinstance(sampling_strategy, dict):
        # YAML/CLI give class names as strings; match them to the label values
        by_name = {str(c): c for c in np.unique(y)}
        if class_names is not None:  # names win over codes when both could match
            by_name |= {class_names[int(c)]: c for c in np.unique(y)}
        unknown = [k for k in sampling_strategy if str(k) not in by_name]
        if unknown:
            raise InvalidDataError(
                f"sampling_strategy names unknown class(es) {unknown}; classes are "
                f"{sorted(class_names) if class_names is not None else sorted(by_name)}"
            )
        sampling_strategy = {by_name[str(k)]: v for k, v in sampling_strategy.items()}
    try:
        plan = check_sampling_strategy(sampling_strategy, y, "over-sampling")
    except (ValueError, TypeError) as err:
        raise InvalidDataError(f"sampling_strategy={given!r}: {err}") from None
    return {c: int(plan.get(c, 0)) for c in np.unique(y)}
