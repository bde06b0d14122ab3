"""Which generated rows to keep: rows distributed like the class's real rows.

A conditional GAN's rows for a rare class are a cloud around the class, not the class: wider
than it (some land in another class's region, which on separable tables moves a classifier's
boundary the wrong way) and bunched where the class is dense, leaving its outlying rows
uncovered. So the generator makes ``pool`` candidates for every row wanted and a selector keeps
``n`` of them. Every returned index points at a generated row: nothing is copied or
interpolated from the real data.

- ``"herd"`` (the default, `HerdedRows`): kernel herding (Chen, Welling & Smola 2010) towards
  the class's real rows: greedily, the candidate that brings the kept set's kernel mean
  embedding closest to the real rows' (MMD, Gaussian kernel, median-distance bandwidth). The
  kept rows then have the class's spread and density, with the generator's own variety inside.
  On the benchmark suite (14 tables x LR/HGB, one generator per fold shared by every rule) it
  removed the three significant losses that "typical" had, all logistic regression on
  separable tables (`benchmarks/reports/selection_screen.md`, README "Benchmark suite").
- ``"typical"`` (`TypicalRows`, the default before): a candidate's *purity* is the share of its
  ``k`` nearest real rows that belong to its class; it is kept if that is at least the
  ``quantile`` of the purities the class's real rows have among each other (leave-one-out), and
  kept rows are spread one per nearest real row ("anchor") in turn. When fewer candidates pass
  than rows are wanted, the purest ones fill up.
- ``"all"``: the first ``n`` rows generated.

Distances are Euclidean on standardised numbers and one-hot categories (scaled so that a
different category counts as much as one standard deviation); missing numbers sit at the mean.

Selectors are looked up by name in `SELECTORS`; `register_selector` adds one (a factory
``factory(X, y, **params) -> Selector or None``) and `make_selector` builds it, so a new rule
is one decorated class, not a patch of the sampler.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, TypeVar

import numpy as np
import pandas as pd
from sklearn.neighbors import NearestNeighbors
from threadpoolctl import threadpool_limits

DEFAULT_SELECTION = "herd"  # the sampler's and the gan arm's
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

    @property
    def width(self) -> int:
        """Coordinates per point: one per number, one per category (1 for a table of neither)."""
        if not (self.numeric or self.categories):
            return 1
        return len(self.numeric) + sum(map(len, self.categories.values()))

    def points(self, X: pd.DataFrame) -> np.ndarray:
        """``(len(X), width)`` float64 points; each row depends on that row of ``X`` alone."""
        out = np.zeros((len(X), self.width))  # filled in place: no second copy of the rows
        j = 0
        for col, (mean, std) in self.numeric.items():
            v = (_as_float(X[col]) - mean) / std
            out[:, j] = np.nan_to_num(v, nan=0.0, posinf=0.0, neginf=0.0)
            j += 1
        for col, cats in self.categories.items():
            text = X[col].astype(str).where(X[col].notna(), None).to_numpy()
            k = len(cats)
            out[:, j : j + k] = (
                text[:, None] == np.asarray(cats, dtype=object)[None, :]
            ) / np.sqrt(2)
            j += k
        return out


def _as_float(values: pd.Series) -> np.ndarray:
    if pd.api.types.is_datetime64_any_dtype(values):
        v = values.astype("int64").to_numpy(dtype=np.float64)
        v[values.isna().to_numpy()] = np.nan
        return v
    return pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64)


class Selector(Protocol):
    """What a selector does: pick ``n`` of a class's generated candidates."""

    def choose(
        self, candidates: pd.DataFrame, label, n: int, rng: np.random.Generator
    ) -> np.ndarray:
        """Indices (into ``candidates``) of the ``n`` rows to keep for class ``label``."""
        ...


#: ``factory(X, y, **params) -> Selector`` (None: keep the first ``n`` rows generated)
SelectorFactory = Callable[..., "Selector | None"]
_F = TypeVar("_F", bound=Callable[..., object])

#: selection name -> factory; the built-ins are registered at the end of this module
SELECTORS: dict[str, SelectorFactory] = {}


def register_selector(name: str, *, replace: bool = False) -> Callable[[_F], _F]:
    """Decorator: register a selector factory (a class or function) under ``name``.

    Parameters
    ----------
    name : str
        The selection name, as passed to `make_selector`. `ConditionalGANOverSampler` takes
        the built-in names (`SELECTIONS`).
    replace : bool, default=False
        Allow replacing a registered name (otherwise a second registration is an error).

    Examples
    --------
    A rule that keeps the first ``n`` candidates of a class, by name::

        @register_selector("first")
        class First:
            def __init__(self, X, y): ...
            def choose(self, candidates, label, n, rng): return np.arange(n)

        make_selector("first", X, y)
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"selector name must be a non-empty string, got {name!r}")

    def add(factory: _F) -> _F:
        if name in SELECTORS and not replace:
            raise ValueError(
                f"selector {name!r} is already registered ({SELECTORS[name]!r}); "
                "pass replace=True to replace it"
            )
        SELECTORS[name] = factory
        return factory

    return add


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
        keep = self._typical(P, label, n, rng)
        own = self.y == label
        if not own.any():
            return rng.choice(keep, n, replace=False)
        anchors = (
            NearestNeighbors(n_neighbors=1)
            .fit(self.points[own])
            .kneighbors(P[keep], return_distance=False)[:, 0]
        )
        return keep[_round_robin(anchors, n, rng)]

    def _typical(self, P: np.ndarray, label, n: int, rng: np.random.Generator) -> np.ndarray:
        m = len(P)
        idx = self.neighbours.kneighbors(P, n_neighbors=self.k, return_distance=False)
        purity = (self.y[idx] == label).mean(axis=1)
        keep = np.flatnonzero(purity >= self.bar(label) - 1e-9)
        if len(keep) < n:  # too few typical candidates: the purest fill up
            keep = np.argsort(-purity - 1e-6 * rng.random(m), kind="stable")[:n]
        return keep


class HerdedRows:
    """Fitted on the real rows; `choose` picks ``n`` of a class's generated candidates by kernel
    herding towards that class's real rows (see `herd`).

    Memory stays linear in the rows, whatever their number: points are made only for the real
    rows herding matches (at most `HERD_REAL_MAX` per class, a seeded subsample past that) and
    for one block of candidates at a time (`HERD_BLOCK` rows kept each), never for the whole
    table or the whole pool. The rows kept are those of `herd` on all the points.

    Parameters
    ----------
    X, y : the real rows (a DataFrame) and their labels.
    """

    def __init__(self, X: pd.DataFrame, y) -> None:
        self.X = X
        self.y = np.asarray(y)
        self.space = RowSpace(X)

    def choose(self, candidates: pd.DataFrame, label, n: int, rng: np.random.Generator):
        """Indices (into ``candidates``) of the ``n`` rows to keep for class ``label``."""
        m = len(candidates)
        if n >= m:
            return np.arange(m)
        own = np.flatnonzero(self.y == label)
        if not len(own):  # nothing to match: any n
            return np.sort(rng.choice(m, n, replace=False))
        own = _real_sample(own, rng)  # the draw `herd` would make on all the class's points
        real = self.space.points(self.X.iloc[own])
        return _herd(real, m, lambda rows: self.space.points(candidates.iloc[rows]), n, rng)


#: herding is quadratic in the rows kept; past this many it runs on blocks of candidates
HERD_BLOCK = 2000
#: real rows a class's kernel mean is estimated on (a seeded subsample past this)
HERD_REAL_MAX = 2000
#: candidates whose kernels to the real rows are computed at once (a (rows, 512) buffer); the
#: blocks of the defaults (``pool`` 5 x `HERD_BLOCK`) are smaller, so they take one pass
KERNEL_ROWS = 16_384


def herd(real: np.ndarray, candidates: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """Kernel herding: sorted indices of ``n`` rows of ``candidates`` (M, D) whose empirical
    distribution is close, in MMD with a Gaussian kernel, to that of ``real`` (R, D).

    Greedy (Chen, Welling & Smola 2010): each step takes the candidate with the highest mean
    kernel to the real rows minus its mean kernel to the rows already taken, so the kept rows sit
    where the real rows are, as densely as they are: they neither bunch up where the generator is
    dense nor spread wider than the class. Bandwidth: the median distance between real rows.
    Past ``HERD_BLOCK`` rows kept, the candidates are shuffled into blocks, each herded for its
    share (linear cost; each block matches the same real rows).
    """
    m = len(candidates)
    if n >= m:
        return np.arange(m)
    return _herd(real[_real_sample(np.arange(len(real)), rng)], m, candidates.__getitem__, n, rng)


def _real_sample(rows: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``rows``, or a seeded subsample of `HERD_REAL_MAX` of them past that many."""
    if len(rows) > HERD_REAL_MAX:
        return rows[rng.choice(len(rows), HERD_REAL_MAX, replace=False)]
    return rows


def _herd(
    real: np.ndarray,
    m: int,
    points: Callable[[np.ndarray], np.ndarray],
    n: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """`herd` on ``m`` candidates whose points ``points(rows)`` gives for the rows asked for,
    one block at a time; ``real`` already subsampled."""
    gamma = 0.5 / _median_distance(real, points, m) ** 2
    blocks = -(-n // HERD_BLOCK)
    if blocks == 1:
        return _herd_block(real, points(np.arange(m)), n, gamma)
    order = rng.permutation(m)
    out = []
    for part, want in zip(np.array_split(order, blocks), near_equal_shares(n, blocks), strict=True):
        out.append(part[_herd_block(real, points(part), want, gamma)])
    return np.sort(np.concatenate(out))


def _herd_block(real: np.ndarray, C: np.ndarray, n: int, gamma: float) -> np.ndarray:
    if n >= len(C):
        return np.arange(len(C))
    return herd_greedy(C, mean_kernel(C, real, gamma), n, gamma)


def mean_kernel(C: np.ndarray, R: np.ndarray, gamma: float) -> np.ndarray:
    """Mean Gaussian kernel ``exp(-gamma d^2)`` of each row of ``C`` to the rows of ``R``, in
    tiles of at most `KERNEL_ROWS` x 512 (each row's sum is the same whatever the tiling)."""
    mu = np.zeros(len(C))
    for c in range(0, len(C), KERNEL_ROWS):
        rows = slice(c, c + KERNEL_ROWS)
        for i in range(0, len(R), 512):
            mu[rows] += np.exp(-gamma * _sq_distances(C[rows], R[i : i + 512])).sum(axis=1)
    return mu / len(R)


def herd_greedy(C: np.ndarray, mu: np.ndarray, n: int, gamma: float) -> np.ndarray:
    """The herding steps: sorted indices of ``n`` rows of ``C``, each step the candidate with
    the highest attraction ``mu`` minus its mean kernel to the rows already taken."""
    m = len(C)
    c2 = (C**2).sum(axis=1)
    taken = np.zeros(m)  # summed kernel to the rows taken so far
    free = np.ones(m, dtype=bool)
    chosen = np.empty(n, dtype=np.int64)
    # one BLAS thread: a step's matrix-vector product is too small to share (two threads made
    # herding 20x slower on a busy 2-core machine) and its sums would depend on the threads
    with threadpool_limits(1, user_api="blas"):
        for t in range(n):
            i = int(np.argmax(np.where(free, mu - taken / (t + 1), -np.inf)))
            chosen[t], free[i] = i, False
            taken += _kernel_row(C, c2, i, gamma)
    return np.sort(chosen)


def _kernel_row(C: np.ndarray, c2: np.ndarray, i: int, gamma: float) -> np.ndarray:
    """Gaussian kernel of every row of ``C`` to row ``i`` (``c2``: the rows' squared norms)."""
    return np.exp(-gamma * np.maximum(c2 + c2[i] - 2.0 * C @ C[i], 0.0))


def near_equal_shares(n: int, k: int) -> list[int]:
    """``n`` split into ``k`` near-equal parts, the larger ones first."""
    return [n // k + (i < n % k) for i in range(k)]


def _sq_distances(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """Squared Euclidean distances ``(len(A), len(B))``, clipped at 0 (rounding)."""
    d2 = (A**2).sum(axis=1)[:, None] + (B**2).sum(axis=1)[None, :] - 2.0 * A @ B.T
    return np.maximum(d2, 0.0)


def _median_distance(real: np.ndarray, points: Callable[[np.ndarray], np.ndarray], m: int) -> float:
    """Median distance between (at most 500) real rows, or from the one real row to the first
    500 of the ``m`` candidates (``points(rows)``)."""
    A = real[:500]
    B = A if len(A) > 1 else points(np.arange(min(m, 500)))
    d = np.sqrt(_sq_distances(A, B))
    d = d[d > 1e-9]
    return float(np.median(d)) if len(d) else 1.0


def first_rows(X: pd.DataFrame, y) -> None:
    """The "all" selection: no chooser, the first ``n`` rows generated are kept."""
    return None


register_selector("herd")(HerdedRows)
register_selector("typical")(TypicalRows)
register_selector("all")(first_rows)
#: the built-in selection names: "herd", "typical", "all" (the sampler's ``selection`` choices)
SELECTIONS = tuple(SELECTORS)


def make_selector(selection: str, X: pd.DataFrame, y, **params) -> Selector | None:
    """The chooser registered as ``selection`` (`SELECTORS`), fitted on the real rows.

    Parameters
    ----------
    selection : str
        A registered name: "herd", "typical", "all" (None: the first rows generated) or one
        added with `register_selector`.
    X, y : the real rows (a DataFrame) and their labels.
    **params
        Passed to the factory (e.g. ``k=3, quantile=0.5`` for "typical").

    Raises
    ------
    ValueError
        ``selection`` is not registered.
    """
    try:
        factory = SELECTORS[selection]
    except (KeyError, TypeError):
        raise ValueError(
            f"unknown selection {selection!r}; allowed: {', '.join(SELECTORS)}"
        ) from None
    return factory(X, y, **params)


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
