"""Vectorised 1-D Gaussian mixtures, fitted for every continuous column at once.

CTGAN fits one ``BayesianGaussianMixture`` per column and then picks each row's mode in a
Python loop. Here one EM loop runs on an ``(n, C, K)`` array for all ``C`` columns together;
components whose weight ends below a threshold are pruned (what the Dirichlet prior of the
Bayesian mixture achieves), so simple columns keep few modes.
"""

from __future__ import annotations

import numpy as np

_LOG_2PI = float(np.log(2 * np.pi))


def fit_gmm(
    V: np.ndarray,
    observed: np.ndarray,
    n_modes: int = 10,
    n_iter: int = 100,
    tol: float = 1e-4,
    weight_threshold: float = 0.005,
) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Fit a ``n_modes``-component mixture per column of ``V`` ``(n, C)``.

    ``observed`` ``(n, C)`` masks missing entries out of the fit. Each M step takes
    ``weight_threshold`` of the rows away from every component's count (component annihilation,
    Figueiredo & Jain 2002), so components that explain less than that share die during the fit.
    Returns one ``(weights, means, stds)`` triple per column, sorted by mean.
    """
    n, c = V.shape
    obs = observed.astype(np.float64)
    count = obs.sum(0).clip(min=1)  # (C,)
    x = np.where(observed, V, 0.0).astype(np.float64)
    col_mean = x.sum(0) / count
    col_var = (obs * (x - col_mean) ** 2).sum(0) / count
    col_std = np.sqrt(col_var).clip(min=1e-12)
    z = ((x - col_mean) / col_std).astype(np.float32)  # standardised: one regulariser for all
    # init: means at evenly spaced quantiles of the observed values, equal weights
    qs = (np.arange(n_modes) + 0.5) / n_modes
    mu = np.stack(
        [
            np.quantile(z[observed[:, j], j], qs) if observed[:, j].any() else np.zeros(n_modes)
            for j in range(c)
        ]
    )  # (C, K)
    var = np.full((c, n_modes), 1.0 / n_modes)
    w = np.full((c, n_modes), 1.0 / n_modes)
    reg = 1e-4  # variance floor (standardised units): integer-valued columns cannot collapse
    prev = -np.inf
    zz = z[:, :, None]  # (n, C, 1)
    for _ in range(n_iter):
        with np.errstate(divide="ignore"):  # dead components: log(0) = -inf
            logw = np.log(w)
        logp = -0.5 * ((zz - mu) ** 2 / var + np.log(var) + _LOG_2PI) + logw  # (n, C, K)
        top = logp.max(axis=2, keepdims=True)
        norm = top + np.log(np.exp(logp - top).sum(axis=2, keepdims=True))
        resp = np.exp(logp - norm) * obs[:, :, None]  # (n, C, K), 0 for missing entries
        nk = resp.sum(0) + 1e-10  # (C, K)
        alive = np.maximum(nk - weight_threshold * count[:, None], 0.0)
        alive[np.arange(c), nk.argmax(1)] = nk.max(1)  # never kill the last component
        w = alive / alive.sum(1, keepdims=True)
        mu = (resp * zz).sum(0) / nk
        var = (resp * (zz - mu) ** 2).sum(0) / nk + reg
        ll = float((norm[:, :, 0] * obs).sum() / obs.sum().clip(min=1))
        if abs(ll - prev) < tol:
            break
        prev = ll
    out = []
    for j in range(c):
        keep = w[j] > 0
        order = np.argsort(mu[j][keep])
        wj, mj, sj = w[j][keep][order], mu[j][keep][order], np.sqrt(var[j][keep][order])
        # components started on tied quantiles (integer columns) stay identical: merge them
        same = np.r_[False, (np.diff(mj) < 1e-6) & (np.abs(np.diff(sj)) < 1e-6)]
        if same.any():
            wj = np.bincount(np.cumsum(~same) - 1, weights=wj)
            mj, sj = mj[~same], sj[~same]
        # widen the outer modes so the whole seen range lies within 3.9 of their stds
        # (values are encoded as offsets / 4 std, clipped to +-0.99)
        zj = z[observed[:, j], j]
        if zj.size:
            sj[0] = max(sj[0], (mj[0] - zj.min()) / 3.9)
            sj[-1] = max(sj[-1], (zj.max() - mj[-1]) / 3.9)
        out.append((wj / wj.sum(), mj * col_std[j] + col_mean[j], sj * col_std[j]))
    return out


def mode_posteriors(
    x: np.ndarray, weights: np.ndarray, means: np.ndarray, stds: np.ndarray
) -> np.ndarray:
    """``(n, K)`` posterior probability of each mode for the values ``x`` ``(n,)``."""
    logp = -0.5 * ((x[:, None] - means) / stds) ** 2 - np.log(stds) + np.log(weights)  # (n, K)
    logp -= logp.max(axis=1, keepdims=True)
    p = np.exp(logp)
    return p / p.sum(axis=1, keepdims=True)


def sample_rows(p: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One index per row of the probability matrix ``p`` ``(n, K)``, drawn without a row loop."""
    u = rng.random((len(p), 1))
    idx = (np.cumsum(p, axis=1) < u * p.sum(axis=1, keepdims=True)).sum(axis=1)
    return np.minimum(idx, p.shape[1] - 1)
