"""Repeated stratified k-fold, per-fold seeds, and the evaluation of one (table, repeat, fold).

Every resampler is fitted on the training fold only; the test fold is predicted as it is (real,
untouched). Resampled rows are shared by all classifiers of the fold (one GAN fit per seed, not
one per classifier).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.metrics import balanced_accuracy_score
from sklearn.model_selection import RepeatedStratifiedKFold

from augment.classify import make_classifier
from augment.suite.arms import Arm, FoldContext
from augment.suite.data import SuiteTable, fold_dataset

THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")
#: the suite's downstream classifiers, by default (any scikit-learn one of `augment.classify`)
CLASSIFIERS = ("logistic_regression", "hist_gradient_boosting")
#: the classifiers' own seed: fixed, so arms differ only in their training sets
CLASSIFIER_SEED = 0


@dataclass(frozen=True)
class FoldJob:
    """One unit of work: every arm x classifier on one fold of one table."""

    table: SuiteTable
    arms: dict[str, Arm]
    classifiers: tuple[str, ...]
    repeat: int
    fold: int
    train: np.ndarray
    test: np.ndarray
    gan_seeds: int
    seed: int


def make_folds(
    y: np.ndarray, folds: int, repeats: int, seed: int
) -> list[tuple[int, int, np.ndarray, np.ndarray]]:
    """``[(repeat, fold, train_idx, test_idx)]`` of a repeated stratified k-fold (shuffled)."""
    cv = RepeatedStratifiedKFold(n_splits=folds, n_repeats=repeats, random_state=seed)
    out = []
    for i, (train, test) in enumerate(cv.split(np.zeros(len(y)), y)):
        out.append((i // folds, i % folds, train, test))
    return out


def fold_seed(seed: int, repeat: int, fold: int, k: int = 0) -> int:
    """The resamplers' seed for generator ``k`` of (repeat, fold): distinct per fold and k."""
    state = np.random.SeedSequence([seed, repeat, fold, k]).generate_state(1)[0]
    return int(state & 0x7FFFFFFF)


@contextmanager
def one_thread() -> Iterator[None]:
    """BLAS/OpenMP pools and torch limited to one thread (restored afterwards)."""
    import torch
    from threadpoolctl import threadpool_limits

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with threadpool_limits(limits=1):
            yield
    finally:
        torch.set_num_threads(before)


def init_worker() -> None:
    """Process-pool initializer: one thread for every library in this worker."""
    for var in THREAD_VARS:
        os.environ[var] = "1"
    import torch

    torch.set_num_threads(1)
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1)


def _resample(
    sampler, X: pd.DataFrame, y: np.ndarray
) -> tuple[pd.DataFrame, np.ndarray, float, float]:
    """``(X_fit, y_fit, wall s, CPU s)`` of ``sampler.fit_resample`` (None: the fold as it is)."""
    start, cpu = time.perf_counter(), time.process_time()
    X_fit, y_fit = (X, y) if sampler is None else sampler.fit_resample(X, y)
    # one thread: the CPU seconds are the idle-machine time
    return X_fit, y_fit, time.perf_counter() - start, time.process_time() - cpu


def _keyed(scores: dict) -> dict[str, float]:
    """``{amount: score}`` with JSON keys."""
    return {str(k): float(v) for k, v in scores.items()}


def run_fold(job: FoldJob) -> dict:
    """Evaluate every arm x classifier on one fold.

    An arm that cannot run on this table (the registry's reason, e.g. ``threshold`` on three
    classes) is left out of the records and its reason kept under ``skipped``.

    Returns
    -------
    dict
        ``{"records": [...], "skipped": {arm: reason}, "wall_s", "cpu_s"}``; a record is
        ``{table, repeat, fold, arm, classifier, k, seed, balanced_accuracy, resample_s,
        fit_s}`` (``k``: generator seed index; resample_s / resample_cpu_s: the sampler's
        ``fit_resample`` wall / CPU seconds, fit_s the classifier's); a per-classifier arm's
        records add its sampler's ``amount`` and ``inner`` scores (``tune_scores_``).
    """
    t0, c0 = time.perf_counter(), time.process_time()
    table = job.table
    X_tr, y_tr = table.X.iloc[job.train].reset_index(drop=True), table.y[job.train]
    X_te, y_te = table.X.iloc[job.test].reset_index(drop=True), table.y[job.test]
    ctx = FoldContext(
        repeat=job.repeat,
        fold=job.fold,
        nominal=list(table.nominal),
        n_features=table.X.shape[1],
        n_min=int(np.bincount(y_tr).min()),
    )
    schema = fold_dataset(X_tr, y_tr, list(table.nominal), table.class_names)
    records, skipped = [], {}
    for name, arm in job.arms.items():
        reasons = {c: arm.why_not(schema, c) for c in job.classifiers}
        classifiers = [c for c in job.classifiers if reasons[c] is None]
        if len(classifiers) < len(reasons):
            skipped[name] = next(r for r in reasons.values() if r is not None)
        if not classifiers:
            continue
        for k in range(job.gan_seeds if arm.gan_seeds else 1):
            seed = fold_seed(job.seed, job.repeat, job.fold, k)
            shared = None if arm.per_classifier else _resample(arm.factory(seed, ctx), X_tr, y_tr)
            for clf_name in classifiers:
                clf = make_classifier(clf_name, schema, CLASSIFIER_SEED, arm.class_weight)
                if shared is None:  # a sampler tuned with this classifier
                    sampler = arm.factory(seed, ctx, classifier=clf)
                    X_fit, y_fit, resample_s, resample_cpu_s = _resample(sampler, X_tr, y_tr)
                    tuned = {"amount": sampler.amount_, "inner": _keyed(sampler.tune_scores_)}
                else:
                    X_fit, y_fit, resample_s, resample_cpu_s = shared
                    tuned = {}
                clf = arm.wrap(clf, seed, y_fit)  # the arm's seed, as its sampler's
                start = time.perf_counter()
                clf.fit(X_fit, y_fit)
                fit_s = time.perf_counter() - start
                score = balanced_accuracy_score(y_te, clf.predict(X_te))
                records.append(
                    {
                        "table": table.name,
                        "repeat": job.repeat,
                        "fold": job.fold,
                        "arm": name,
                        "classifier": clf_name,
                        "k": k,
                        "seed": seed,
                        "balanced_accuracy": float(score),
                        "resample_s": resample_s,
                        "resample_cpu_s": resample_cpu_s,
                        "fit_s": fit_s,
                        **tuned,  # a tuned sampler's choice and inner scores
                    }
                )
    return {
        "records": records,
        "skipped": skipped,
        "wall_s": time.perf_counter() - t0,
        "cpu_s": time.process_time() - c0,
    }
