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
    skipped: dict[str, dict[str, str]] | None = None,
) -> dict[str, Any]:
    """Rows, win/tie/loss counts, mean ranks, Friedman and Nemenyi CD.

    An arm that did not run on a table (``skipped``: e.g. ``threshold`` on three classes) is
    absent from that table's rows (``row["skipped"]`` says why); the best classical arm, the
    comparisons and the "top" counts of a row are over the arms it has, and the mean ranks,
    Friedman and CD over the ``n_ranked`` rows where every arm ran (a complete block design).

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
    skipped : dict, optional
        ``table -> {arm: reason}`` of the arms that could not run there.
    """
    ratio = 1.0 / (folds - 1)
    scores = fold_scores(records)
    skipped = skipped or {}
    classical = [a for a, c in arms.items() if c]
    ours = [a for a, c in arms.items() if not c]
    rows, means = [], []
    counts = {o: {"win": 0, "tie": 0, "loss": 0, "mean_above": 0} for o in ours}
    # rows where an arm's mean is above every other arm's: what "ours above the best classical
    # arm" is for any arm, the reference for that count (ceiling rows count for nobody)
    top = dict.fromkeys(arms, 0)
    for table in tables:
        for clf in classifiers:
            ran = {a: scores[(table, clf, a)] for a in arms if (table, clf, a) in scores}
            if not ran:
                continue
            # every arm of a row is scored on the same folds (paired); one that missed a fold
            # is left out of the row
            n_folds = max(len(v) for v in ran.values())
            ran = {a: v for a, v in ran.items() if len(v) == n_folds}
            row: dict[str, Any] = {"table": table, "classifier": clf, "arms": {}, "vs_best": {}}
            for arm, v in ran.items():
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
            missing = [a for a in arms if a not in ran]
            if missing:
                why = skipped.get(table, {})
                row["skipped"] = {a: why.get(a, "not run on every fold") for a in missing}
            row_means = {a: row["arms"][a]["mean"] for a in ran}
            best = best_classical(row_means, classical)
            row["best_classical"] = best
            for o in [o for o in ours if o in ran] if best else []:
                diff = row_means[o] - row_means[best]
                t, p = corrected_ttest(ran[o], ran[best], ratio)
                outcome = win_tie_loss(diff, p, alpha)
                counts[o][outcome] += 1
                counts[o]["mean_above"] += int(diff > 0)
                row["vs_best"][o] = {"diff": diff, "t": t, "p": p, "outcome": outcome}
            rows.append(row)
            if not missing:
                means.append([row_means[a] for a in arms])
            for a, mean in row_means.items():
                top[a] += all(other < mean for b, other in row_means.items() if b != a)
    n, n_ranked, k = len(rows), len(means), len(arms)
    ranks = mean_ranks(np.array(means)) if means else np.full(k, np.nan)
    return {
        "rows": rows,
        "counts": counts,
        "top": top,
        "ranks": dict(zip(arms, map(float, ranks), strict=True)),
        "friedman": friedman(ranks, n_ranked) if n_ranked >= 2 and k >= 2 else None,
        "cd": nemenyi_cd(k, n_ranked) if n_ranked >= 1 and k >= 2 else None,
        "n_rows": n,
        "n_ranked": n_ranked,
    }
