"""Inner validation: how many generated rows to add, chosen on the training rows only.

`ConditionalGANOverSampler(tune_estimator=...)` calls `choose_amount`. The rows given to
``fit_resample`` are split into ``cv`` stratified folds; on each, a GAN is fitted on the other
folds, rows are drawn for every candidate amount (a fraction of what ``sampling_strategy`` asks
for), a clone of the estimator is trained on the other folds plus those rows and scored on the
held-out fold. The amount with the best mean score wins; a tie goes to the amount nearest 1
(the plan itself). Nothing outside the rows given is looked at: in a cross-validation the test
fold never enters the choice.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.metrics import check_scoring
from sklearn.model_selection import StratifiedKFold

from augment.experiment.generation import DrawSeeds, appended, draw
from augment.selection import make_selector

#: the amounts tried by default: a quarter, half and all of the plan's rows
DEFAULT_AMOUNTS = (0.25, 0.5, 1.0)
FOLD_STRIDE = 104729  # inner fold i fits its GAN with seed + 104729 * (i + 1)


@dataclass(frozen=True)
class Choice:
    """The outcome of `choose_amount`.

    Attributes
    ----------
    amount : float
        The chosen fraction of the plan's rows.
    scores : dict
        ``{amount: mean inner score}`` for every amount tried (empty when not tuned).
    reason : str or None
        Why no choice was made (too few rows of a class for the folds), else None.
    """

    amount: float
    scores: dict[float, float]
    reason: str | None = None


def scaled_plan(plan: Mapping[Any, int], amount: float) -> dict[Any, int]:
    """``{class: round(amount * n)}``: the rows of ``plan`` at a fraction ``amount``."""
    return {c: int(round(amount * n)) for c, n in plan.items()}


def choose_amount(
    frame: pd.DataFrame,
    y: np.ndarray,
    plan: Mapping[Any, int],
    fit_gan: Callable[[pd.DataFrame, np.ndarray, int], Any],
    estimator: Any,
    *,
    amounts: Sequence[float] = DEFAULT_AMOUNTS,
    cv: int = 2,
    scoring: str | Callable | None = "balanced_accuracy",
    selection: str = "herd",
    pool: int = 5,
    seed: int = 0,
    as_input: Callable[[pd.DataFrame], Any] = lambda rows: rows,
) -> Choice:
    """The amount of generated rows whose inner-validation score is best.

    Parameters
    ----------
    frame, y : the training rows (a DataFrame with a 0..n-1 index) and their labels.
    plan : mapping
        ``{class: rows}`` the sampler would generate for ``(frame, y)``; an inner fold with a
        fraction f of the rows gets ``round(f * amount * rows)`` per class.
    fit_gan : callable
        ``fit_gan(frame, y, seed) -> fitted generator`` (`draw`'s generators).
    estimator : scikit-learn classifier
        Cloned and trained on each inner fold's rows plus its generated rows.
    amounts : sequence of float
        Fractions of the plan to try.
    cv : int
        Stratified inner folds (one GAN fit each).
    scoring : str, callable or None
        A scikit-learn scorer (None: the estimator's ``score``).
    selection, pool : the sampler's selection rule and pool (`augment.selection`).
    seed : int
        Seeds the folds, their GANs and their draws (0 to 2**31 - 1, as the sampler's).
    as_input : callable
        Turns a table of rows into what the estimator is given after the sampler (the
        over-sampler's output type: the DataFrame itself, or an array).
    """
    y = np.asarray(y)
    counts = np.unique(y, return_counts=True)[1]
    if counts.min() < cv:
        return Choice(
            1.0, {}, f"a class has {counts.min()} row(s), fewer than the {cv} inner folds"
        )
    scorer = check_scoring(estimator, scoring=scoring)
    totals = {float(a): [] for a in amounts}
    folds = StratifiedKFold(n_splits=cv, shuffle=True, random_state=seed)
    for i, (train, held) in enumerate(folds.split(np.zeros(len(y)), y)):
        X_in = frame.iloc[train].reset_index(drop=True)
        y_in = y[train]
        X_out = frame.iloc[held].reset_index(drop=True)
        gan = fit_gan(X_in, y_in, seed + FOLD_STRIDE * (i + 1))
        share = len(train) / len(y)
        chooser = make_selector(selection, X_in, y_in)
        for amount in totals:
            wanted = scaled_plan(plan, amount * share)
            streams = DrawSeeds(seed + FOLD_STRIDE * (i + 1) + 1, shared=seed + i)
            X_new, y_new = draw(gan, wanted, chooser, streams, pool=pool, like=X_in)
            X_fit, y_fit = appended(X_in, y_in, X_new, y_new)
            model = clone(estimator).fit(as_input(X_fit), y_fit)
            totals[amount].append(float(scorer(model, as_input(X_out), y[held])))
    scores = {a: float(np.mean(s)) for a, s in totals.items()}
    best = max(scores.values())
    tied = [a for a, s in scores.items() if s >= best - 1e-12]
    return Choice(min(tied, key=lambda a: (abs(a - 1.0), -a)), scores)
