"""From per-fold records to the suite's rows (table x classifier), win/tie/loss and ranks."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np

from augment.arms import best_classical
from augment.suite.stats import (
    corrected_ttest,
    friedman,
    mean_ci,
    mean_ranks,
    nemenyi_cd,
    win_tie_loss,
)


def fold_scores(records: list[dict]) -> dict[tuple[str, str, str], np.ndarray]:
    """``(table, classifier, arm) -> balanced accuracy per fold``, in (repeat, fold) order.

    The ``gan_seeds`` generators of a fold are averaged: one paired value per fold, so the
    corrected t-test's J is the number of train/test splits (the seeds share a test fold and are
    not independent samples of it).
    """
    acc: dict[tuple, dict[tuple[int, int], list[float]]] = defaultdict(lambda: defaultdict(list))
    for r in records:
        key = (r["table"], r["classifier"], r["arm"])
        acc[key][(r["repeat"], r["fold"])].append(r["balanced_accuracy"])
    return {
        key: np.array([np.mean(by_fold[f]) for f in sorted(by_fold)])
        for key, by_fold in acc.items()
    }


def _mean_times(records: list[dict], table: str, arm: str, clf: str) -> tuple[float, float, float]:
    """Mean resample wall and CPU seconds per fold x seed (once per resampling; CPU NaN when not
    recorded) and mean classifier fit seconds."""
    mine = [r for r in records if r["table"] == table and r["arm"] == arm]
    once = {(r["repeat"], r["fold"], r["k"]): r for r in mine}.values()
    wall = float(np.mean([r["resample_s"] for r in once]))
    cpu = float(np.mean([r.get("resample_cpu_s", np.nan) for r in once]))
    fits = [r["fit_s"] for r in mine if r["classifier"] == clf]
    return wall, cpu, float(np.mean(fits))


def summarize(
    records: list[dict],
    tables: list[str],
    classifiers: list[str],
    arms: dict[str, bool],
    folds: int,
    alpha: float = 0.05,
) -> dict[str, Any]:
    """Rows, win/tie/loss counts, mean ranks, Friedman and Nemenyi CD.

    Parameters
    ----------
    records : list of dict
        `augment.suite.protocol.run_fold` records.
    tables, classifiers : list of str
        Row order.
    arms : dict
        ``arm -> is classical`` (in column order).
    folds : int
        k of the k-fold (n_test / n_train = 1 / (k - 1)).
    """
    ratio = 1.0 / (folds - 1)
    scores = fold_scores(records)
    classical = [a for a, c in arms.items() if c]
    ours = [a for a, c in arms.items() if not c]
    rows, means = [], []
    counts = {o: {"win": 0, "tie": 0, "loss": 0, "mean_above": 0} for o in ours}
    # rows where an arm's mean is above every other arm's: what "ours above the best classical
    # arm" is for any arm, the reference for that count (ceiling rows count for nobody)
    top = dict.fromkeys(arms, 0)
    for table in tables:
        for clf in classifiers:
            if (table, clf, next(iter(arms))) not in scores:
                continue
            row: dict[str, Any] = {"table": table, "classifier": clf, "arms": {}, "vs_best": {}}
            for arm in arms:
                v = scores[(table, clf, arm)]
                mean, lo, hi = mean_ci(v, ratio)
                resample_s, resample_cpu_s, fit_s = _mean_times(records, table, arm, clf)
                row["arms"][arm] = {
                    "mean": mean,
                    "ci95": [lo, hi],
                    "values": v.tolist(),
                    "resample_s": resample_s,
                    "resample_cpu_s": resample_cpu_s,
                    "fit_s": fit_s,
                }
            best = best_classical({a: row["arms"][a]["mean"] for a in arms}, classical)
            row["best_classical"] = best
            for o in ours if best else []:
                diff = row["arms"][o]["mean"] - row["arms"][best]["mean"]
                t, p = corrected_ttest(scores[(table, clf, o)], scores[(table, clf, best)], ratio)
                outcome = win_tie_loss(diff, p, alpha)
                counts[o][outcome] += 1
                counts[o]["mean_above"] += int(diff > 0)
                row["vs_best"][o] = {"diff": diff, "t": t, "p": p, "outcome": outcome}
            rows.append(row)
            means.append([row["arms"][a]["mean"] for a in arms])
            for a, mean in zip(arms, means[-1], strict=True):
                top[a] += all(
                    other < mean for b, other in zip(arms, means[-1], strict=True) if b != a
                )
    n, k = len(rows), len(arms)
    ranks = mean_ranks(np.array(means)) if rows else np.full(k, np.nan)
    return {
        "rows": rows,
        "counts": counts,
        "top": top,
        "ranks": dict(zip(arms, map(float, ranks), strict=True)),
        "friedman": friedman(ranks, n) if n >= 2 and k >= 2 else None,
        "cd": nemenyi_cd(k, n) if n >= 1 and k >= 2 else None,
        "n_rows": n,
    }
