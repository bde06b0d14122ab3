"""`draw`: rows per class from fitted conditional generators, chosen by a selection rule.

The one generation step of the library: the ``gan`` arms, the run's checks (leakage,
memorisation, synthetic quality, plots) and `augment.ConditionalGANOverSampler` all call it.
Each keeps its own random numbers (`DrawSeeds`), so their results are what they were.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from augment.selection import DEFAULT_POOL, DEFAULT_SELECTION, make_selector, near_equal_shares

if TYPE_CHECKING:
    from augment.data import LabeledDataset
    from augment.selection import Selector

GENERATOR_STRIDE = 7919  # generator g of an ensemble samples with random_state + 7919 * g


@dataclass(frozen=True)
class DrawSeeds:
    """The random numbers of one `draw`.

    Class ``i`` of the sorted plan (classes planned 0 rows counted) is sampled by generator
    ``g`` with ``random_state = first + i + 7919 * g``. The selector draws from one
    ``numpy.random.default_rng(shared)`` across the classes, or, with ``shared=None``, from
    ``default_rng(first + i)`` for class ``i``.
    """

    first: int  # the random_state of the first class's first generator
    shared: int | None = None  # one selection stream for all classes (the over-sampler's)

    @classmethod
    def of_run(cls, seed: int) -> DrawSeeds:
        """A run's convention (arms, checks, plots): class ``i`` with ``seed * 1000 + i``."""
        return cls(seed * 1000)


def run_selector(train: LabeledDataset) -> Selector | None:
    """The selection of a run's ``gan`` arm: `DEFAULT_SELECTION` fitted on the train split's
    table, as `augment.ConditionalGANOverSampler` does by default; None for images."""
    if train.kind != "table":
        return None
    return make_selector(DEFAULT_SELECTION, train.X, train.y)


def draw(
    generators: Any | Sequence[Any],
    plan: Mapping[Any, int],
    selector: Selector | None = None,
    seed: int | DrawSeeds = 0,
    *,
    pool: int = DEFAULT_POOL,
    like: pd.DataFrame | np.ndarray | None = None,
    kind: str = "table",
) -> tuple[pd.DataFrame | np.ndarray, np.ndarray]:
    """Rows per class from fitted conditional generators, ``plan = {class: n rows}``.

    Parameters
    ----------
    generators : a fitted generator or a sequence of them
        Anything with ``sample(n, label, random_state)`` (`augment.TabularCGAN`,
        `augment.ImageCGAN`). With several, each class's candidates are shared out between
        them as evenly as possible (`augment.selection.near_equal_shares`).
    plan : mapping
        Rows wanted per class; classes are taken in sorted order, those with 0 rows skipped.
    selector : Selector or None
        Chooses each class's ``n`` rows out of ``pool * n`` candidates (`augment.selection`);
        None keeps the ``n`` rows generated.
    seed : int or DrawSeeds
        An int is a run's seed (`DrawSeeds.of_run`: class ``i`` samples with ``seed * 1000 + i``).
    pool : int, default=DEFAULT_POOL
        Candidates per row kept, when there is a selector.
    like : DataFrame, optional
        A table's real rows: candidates take its column order and dtypes before selection
        (ignored for images).
    kind : {"table", "image"}, default="table"
        What the generators make; images come back flattened, one row per image.

    Returns
    -------
    X : DataFrame (tables) or array of shape (n_rows, n_pixels) (images)
        The rows class by class, in sorted order: an empty DataFrame or a (0, 0) array when
        nothing is planned.
    y : array of shape (n_rows,)
        Each row's class.
    """
    models = list(generators) if isinstance(generators, Sequence) else [generators]
    streams = seed if isinstance(seed, DrawSeeds) else DrawSeeds.of_run(seed)
    per_row = pool if selector is not None else 1
    shared = None if streams.shared is None else np.random.default_rng(streams.shared)
    parts, labels = [], []
    for i, (label, n) in enumerate(sorted(plan.items())):
        if n <= 0:
            continue
        state = streams.first + i
        made = [
            models[g].sample(m, label, random_state=state + GENERATOR_STRIDE * g)
            for g, m in enumerate(near_equal_shares(n * per_row, len(models)))
            if m > 0
        ]
        rows = _concat(made)
        if like is not None and kind == "table":
            if list(rows.columns) != list(like.columns):
                rows = rows[like.columns]
            rows = rows.astype(like.dtypes.to_dict())
        if selector is not None:
            rng = shared if shared is not None else np.random.default_rng(state)
            rows = _take(rows, selector.choose(rows, label, n, rng))
        parts.append(rows if kind == "table" else rows.reshape(n, -1))
        # class codes as int64 whatever integer type the plan's keys have (`LabeledDataset.y`)
        labels.append(np.full(n, label, dtype=np.int64 if _is_int(label) else None))
    if not parts:
        return (pd.DataFrame() if kind == "table" else np.zeros((0, 0))), np.zeros(0, np.int64)
    return _concat(parts), np.concatenate(labels)


def appended(
    X: pd.DataFrame, y: np.ndarray, X_new: pd.DataFrame, y_new: np.ndarray
) -> tuple[pd.DataFrame, np.ndarray]:
    """A table's rows ``(X, y)`` followed by drawn rows ``(X_new, y_new)`` (`draw`'s output,
    possibly empty), with a fresh index and the labels in ``y``'s dtype."""
    X_all = pd.concat([X, *([X_new] if len(y_new) else [])], ignore_index=True)
    return X_all, np.concatenate([y, y_new.astype(y.dtype, copy=False)])


def _concat(parts: list[pd.DataFrame | np.ndarray]) -> pd.DataFrame | np.ndarray:
    """Frames end to end with a fresh index, or arrays along the first axis."""
    if isinstance(parts[0], pd.DataFrame):
        return pd.concat(parts, ignore_index=True)
    return np.concatenate(parts)


def _is_int(label: Any) -> bool:
    """An integer class code (not a bool, which the over-sampler keeps as it is)."""
    return isinstance(label, int | np.integer) and not isinstance(label, bool | np.bool_)


def _take(rows: pd.DataFrame | np.ndarray, keep: np.ndarray) -> pd.DataFrame | np.ndarray:
    """The rows at positions ``keep``."""
    return rows.iloc[keep] if isinstance(rows, pd.DataFrame) else rows[keep]
