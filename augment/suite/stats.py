"""Statistics of the suite: corrected CIs and paired test, ranks, Friedman, Nemenyi CD.

References: Nadeau & Bengio (2003), "Inference for the generalization error" (the corrected
resampled t-test for repeated k-fold); Demšar (2006), "Statistical comparisons of classifiers
over multiple data sets" (average ranks, Friedman / Iman-Davenport, Nemenyi critical difference).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

#: Nemenyi q_alpha at alpha=0.05 for k = 2..10 classifiers (Demšar 2006, Table 5a)
NEMENYI_Q05 = {2: 1.960, 3: 2.343, 4: 2.569, 5: 2.728, 6: 2.850, 7: 2.949, 8: 3.031, 9: 3.102,
               10: 3.164}  # fmt: skip


def corrected_variance(values: np.ndarray, test_train_ratio: float) -> float:
    """Nadeau-Bengio variance of the mean of J resampled estimates: (1/J + n2/n1) * s^2."""
    v = np.asarray(values, dtype=float)
    if len(v) < 2:
        return 0.0
    return float((1.0 / len(v) + test_train_ratio) * v.var(ddof=1))


def mean_ci(values: np.ndarray, test_train_ratio: float) -> tuple[float, float, float]:
    """Mean and 95% CI over folds with the Nadeau-Bengio corrected variance (t, J-1 df).

    Parameters
    ----------
    values : array of shape (J,)
        One value per fold of the repeated k-fold.
    test_train_ratio : float
        n_test / n_train of a fold, 1 / (k - 1) for k-fold.
    """
    v = np.asarray(values, dtype=float)
    mean = float(v.mean())
    if len(v) < 2:
        return mean, mean, mean
    half = float(
        stats.t.ppf(0.975, len(v) - 1) * math.sqrt(corrected_variance(v, test_train_ratio))
    )
    return mean, mean - half, mean + half


def corrected_ttest(a: np.ndarray, b: np.ndarray, test_train_ratio: float) -> tuple[float, float]:
    """Nadeau-Bengio corrected resampled paired t-test of ``a - b`` over the same folds.

    t = mean(d) / sqrt((1/J + n2/n1) * var(d)), J - 1 degrees of freedom, two-sided.

    Returns
    -------
    (t, p) : tuple of float
        With zero variance: ``(0, 1)`` when all differences are 0, ``(+-inf, 0)`` otherwise.
    """
    d = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)
    var = corrected_variance(d, test_train_ratio)
    mean = float(d.mean())
    if var <= 0.0:
        return (0.0, 1.0) if mean == 0.0 else (math.copysign(math.inf, mean), 0.0)
    t = mean / math.sqrt(var)
    p = float(2 * stats.t.sf(abs(t), len(d) - 1))
    return float(t), p


def win_tie_loss(diff: float, p: float, alpha: float = 0.05) -> str:
    """ "win"/"loss" by the sign of ``diff`` when ``p < alpha``, else "tie"."""
    if p < alpha and diff != 0:
        return "win" if diff > 0 else "loss"
    return "tie"


def mean_ranks(scores: np.ndarray) -> np.ndarray:
    """Average rank of each column over the rows of ``scores`` (N rows x k arms).

    Rank 1 is the highest score in a row; ties get the average of their ranks.
    """
    s = np.asarray(scores, dtype=float)
    ranks = np.vstack([stats.rankdata(-row) for row in s])
    return ranks.mean(axis=0)


def friedman(avg_ranks: np.ndarray, n: int) -> dict[str, float]:
    """Friedman chi^2 and the Iman-Davenport F from average ranks over ``n`` data sets.

    chi2_F = 12N / (k(k+1)) * (sum R_j^2 - k(k+1)^2 / 4), df k-1;
    F_F = (N-1) chi2_F / (N(k-1) - chi2_F), df (k-1, (k-1)(N-1)).
    """
    r = np.asarray(avg_ranks, dtype=float)
    k = len(r)
    chi2 = 12 * n / (k * (k + 1)) * (float(np.sum(r**2)) - k * (k + 1) ** 2 / 4)
    p_chi2 = float(stats.chi2.sf(chi2, k - 1))
    denom = n * (k - 1) - chi2
    if denom <= 0 or n < 2:
        ff, p_ff = math.inf, 0.0
    else:
        ff = (n - 1) * chi2 / denom
        p_ff = float(stats.f.sf(ff, k - 1, (k - 1) * (n - 1)))
    return {"chi2": float(chi2), "p_chi2": p_chi2, "iman_davenport_f": float(ff), "p_f": p_ff}


def nemenyi_cd(k: int, n: int) -> float:
    """Nemenyi critical difference at alpha=0.05: q_alpha * sqrt(k(k+1) / (6N))."""
    if k in NEMENYI_Q05:
        q = NEMENYI_Q05[k]
    else:  # studentized range at infinite df, scaled by sqrt(2) (Demšar's table)
        q = float(stats.studentized_range.ppf(0.95, k, 1e6) / math.sqrt(2))
    return q * math.sqrt(k * (k + 1) / (6.0 * n))
