"""Which generated rows to keep: class-typical ones, spread over the class's real rows.

A conditional GAN's rows for a rare class are a cloud around the class, not the class: some land
in another class's region (on separable tables that moves a classifier's boundary the wrong way),
and they bunch up where the class is dense, leaving its outlying rows uncovered. So the generator
makes ``pool`` candidates for every row wanted, and `TypicalRows` keeps ``n`` of them:

1. **Typical**: a candidate's *purity* is the share of its ``k`` nearest real rows that belong to
   its class. It is kept if that is at least the ``quantile`` of the purities the class's real rows
   have among each other (leave-one-out). The bar adapts to the data: where a class is well
   separated its real rows are pure and so must the candidates be; where classes overlap
   (the real rows of a rare class sit among others) the bar is low and the spread survives.
2. **Spread**: each kept candidate's *anchor* is its nearest real row of the class; rows are taken
   one per anchor in turn (in random order), so every real row gets about the same number of
   synthetic neighbours, as in SMOTE, but each row is the generator's own.

When fewer candidates pass than rows are wanted, the purest ones fill up. Every returned index
points at a generated row: nothing is copied or interpolated from the real data.

Distances are Euclidean on standardised numbers and one-hot categories (scaled so that a
different category counts as much as one standard deviation); missing numbers sit at the mean.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.neighbors import NearestNeighbors

SELECTIONS = ("typical", "all")
DEFAULT_POOL = 5  # generated candidates per row kept (the sampler's ``pool``, the gan arm's)


class RowSpace:
    """Rows of a DataFrame as points: numbers standardised, categories one-hot."""

    def __init__(self, X: pd.DataFrame) -> None:
        self.numeric: dict[str, tuple[float, float]] = {}
        self.categories: dict[str, list] = {}
        for col in X.columns:
            values = X[col]
            numeric = pd.api.types.is_numeric_dtype(values)
            if pd.api.types.is_bool_dtype(values) or not (
                numeric or pd.api.types.is_datetime64_any_dtype(values)
            ):
                self.categories[col] = list(pd.unique(values.dropna().astype(str)))
            else:
                v = _as_float(values)
                mean = float(np.nanmean(v)) if np.isfinite(v).any() else 0.0
                std = float(np.nanstd(v)) if np.isfinite(v).any() else 0.0
                self.numeric[col] = (mean, std if std > 0 else 1.0)

    def points(self, X: pd.DataFrame) -> np.ndarray:
        parts = []
        for col, (mean, std) in self.numeric.items():
            v = (_as_float(X[col]) - mean) / std
            parts.append(np.nan_to_num(v, nan=0.0, posinf=0.0, neginf=0.0)[:, None])
        for col, cats in self.categories.items():
            text = X[col].astype(str).where(X[col].notna(), None).to_numpy()
            parts.append((text[:, None] == np.asarray(cats, dtype=object)[None, :]) / np.sqrt(2))
        if not parts:
            return np.zeros((len(X), 1))
        return np.hstack(parts).astype(np.float64)


def _as_float(values: pd.Series) -> np.ndarray:
    if pd.api.types.is_datetime64_any_dtype(values):
        v = values.astype("int64").to_numpy(dtype=np.float64)
        v[values.isna().to_numpy()] = np.nan
        return v
    return pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64)


class TypicalRows:
    """Fitted on the real rows; `choose` picks ``n`` of a class's generated candidates.

    Parameters
    ----------
    X, y : the real rows (a DataFrame) and their labels.
    k : int, default=5
        Neighbours for purity (at most the rows available).
    quantile : float, default=0.25
        A candidate must be at least as pure as this quantile of its class's real rows.
    """

    def __init__(self, X: pd.DataFrame, y, k: int = 5, quantile: float = 0.25) -> None:
        self.y = np.asarray(y)
        self.quantile = quantile
        self.space = RowSpace(X)
        self.points = self.space.points(X)
        self.k = max(1, min(k, len(self.y) - 1))
        self.neighbours = NearestNeighbors(n_neighbors=self.k + 1).fit(self.points)
        idx = self.neighbours.kneighbors(self.points, return_distance=False)[:, 1:]
        self.real_purity = (self.y[idx] == self.y[:, None]).mean(axis=1)

    def bar(self, label) -> float:
        """The purity a candidate of ``label`` needs: the ``quantile`` of the purities the
        class's own real rows have among each other (0 for a class with no real rows)."""
        own = self.y == label
        return float(np.quantile(self.real_purity[own], self.quantile)) if own.any() else 0.0

    def choose(self, candidates: pd.DataFrame, label, n: int, rng: np.random.Generator):
        """Indices (into ``candidates``) of the ``n`` rows to keep for class ``label``."""
        m = len(candidates)
        if n >= m:
            return np.arange(m)
        P = self.space.points(candidates)
        idx = self.neighbours.kneighbors(P, n_neighbors=self.k, return_distance=False)
        purity = (self.y[idx] == label).mean(axis=1)
        own = self.y == label
        keep = np.flatnonzero(purity >= self.bar(label) - 1e-9)
        if len(keep) < n:  # too few typical candidates: the purest fill up
            keep = np.argsort(-purity - 1e-6 * rng.random(m), kind="stable")[:n]
        if not own.any():
            return rng.choice(keep, n, replace=False)
        anchors = (
            NearestNeighbors(n_neighbors=1)
            .fit(self.points[own])
            .kneighbors(P[keep], return_distance=False)[:, 0]
        )
        return keep[_round_robin(anchors, n, rng)]


def _round_robin(groups: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """Positions of ``n`` items taken one per group in turn, each group in random order."""
    shuffled = rng.permutation(len(groups))
    rank = np.empty(len(groups), dtype=np.int64)
    seen: dict[int, int] = {}
    for j in shuffled:
        g = int(groups[j])
        rank[j] = seen.get(g, 0)
        seen[g] = rank[j] + 1
    order = np.lexsort((rng.random(len(groups)), rank))
    return np.sort(order[:n])
