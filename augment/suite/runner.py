"""`run_suite`: every (table, repeat, fold) job, in ``n_jobs`` single-threaded processes."""

from __future__ import annotations

import logging
import multiprocessing as mp
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from augment.classify import SKLEARN_CLASSIFIERS
from augment.environ import environ
from augment.exceptions import ConfigError
from augment.suite.arms import Arm, canonical_arm, default_arms
from augment.suite.data import SuiteTable, default_tables, load_suite_table
from augment.suite.protocol import (
    CLASSIFIERS,
    THREAD_VARS,
    FoldJob,
    init_worker,
    make_folds,
    one_thread,
    run_fold,
)
from augment.suite.summary import summarize

log = logging.getLogger(__name__)


@dataclass
class SuiteResult:
    """Everything the suite measured.

    Attributes
    ----------
    config : dict
        folds, repeats, gan_seeds, seed, n_jobs, threads per job, arms, classifiers.
    tables : list of dict
        `SuiteTable.describe` of each table (+ ``removed`` for built-ins).
    records : list of dict
        One per (table, repeat, fold, arm, classifier, generator seed).
    summary : dict
        `augment.suite.summary.summarize` output (rows, counts, ranks, friedman, cd).
    timing : dict
        ``wall_s`` (the whole suite), ``cpu_s`` (sum of the jobs' CPU seconds), ``jobs``,
        and ``per_table_cpu_s``.
    """

    config: dict[str, Any]
    tables: list[dict[str, Any]]
    records: list[dict[str, Any]]
    summary: dict[str, Any]
    timing: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "config": self.config,
            "tables": self.tables,
            "summary": self.summary,
            "timing": self.timing,
            "records": self.records,
        }


def run_suite(
    tables: Sequence[str | Path | SuiteTable] | None = None,
    arms: dict[str, Arm] | None = None,
    classifiers: Sequence[str] = CLASSIFIERS,
    folds: int = 3,
    repeats: int = 2,
    n_jobs: int = 1,
    gan_seeds: int = 1,
    seed: int = 0,
    alpha: float = 0.05,
    on_job: Callable[[dict], None] | None = None,
) -> SuiteResult:
    """Run the benchmark suite (BENCHMARK.md, "Generalisation").

    Parameters
    ----------
    tables : list, optional
        CSV paths (class column ``label``), ``builtin:NAME`` or `SuiteTable` objects; default
        `augment.suite.default_tables()` (the KEEL suite + breast_cancer + wine).
    arms : dict, optional
        ``name -> Arm``; default `augment.suite.default_arms()`. Arms with ``classical=False``
        (``gan`` and variants) are compared with the best classical arm of every row. Former
        names (``none``, ``random_oversampling``, ``ours``) are read as today's.
    classifiers : sequence of str
        Names of `augment.classify.SKLEARN_CLASSIFIERS` (default `augment.suite.CLASSIFIERS`).
    folds, repeats : int
        Repeated stratified k-fold.
    n_jobs : int
        Worker processes (1: in this process); each job uses one thread.
    gan_seeds : int
        Generators fitted per fold for generator arms (``gan``, variants), each with its own
        seed; their scores are averaged per fold before the paired test.
    seed : int
        Seeds the folds (repeat r uses a fresh shuffle) and every fold's resampler seeds.
    alpha : float
        Level of the paired test for win/tie/loss.
    on_job : callable, optional
        Called in this process with each finished job's output (``records``, ``wall_s``,
        ``cpu_s``) as it arrives, e.g. to keep partial results of a long run.
    """
    if folds < 2 or repeats < 1 or n_jobs < 1 or gan_seeds < 1:
        raise ConfigError(
            f"need folds >= 2, repeats >= 1, n_jobs >= 1, gan_seeds >= 1; got {folds=}, "
            f"{repeats=}, {n_jobs=}, {gan_seeds=}"
        )
    unknown = sorted(set(classifiers) - set(SKLEARN_CLASSIFIERS))
    if unknown:
        raise ConfigError(f"unknown classifier(s) {unknown}; allowed: {list(SKLEARN_CLASSIFIERS)}")
    arms = default_arms() if arms is None else _canonical(arms)
    loaded = [
        t if isinstance(t, SuiteTable) else load_suite_table(t) for t in tables or default_tables()
    ]
    jobs = [
        FoldJob(t, arms, tuple(classifiers), r, f, tr, te, gan_seeds, seed)
        for t in loaded
        for r, f, tr, te in make_folds(t.y, folds, repeats, seed)
    ]
    log.info(
        "suite: %d tables, %d jobs, %d process(es), 1 thread each", len(loaded), len(jobs), n_jobs
    )
    start = time.perf_counter()
    outputs = _execute(jobs, n_jobs, on_job)
    wall = time.perf_counter() - start
    return result_from_outputs(
        loaded,
        arms,
        classifiers,
        outputs,
        folds=folds,
        repeats=repeats,
        gan_seeds=gan_seeds,
        seed=seed,
        n_jobs=n_jobs,
        alpha=alpha,
        wall_s=wall,
    )


def result_from_outputs(
    tables: Sequence[SuiteTable],
    arms: dict[str, Arm],
    classifiers: Sequence[str],
    outputs: Sequence[dict],
    *,
    folds: int,
    repeats: int,
    gan_seeds: int,
    seed: int,
    n_jobs: int,
    alpha: float = 0.05,
    wall_s: float = float("nan"),
) -> SuiteResult:
    """Summarise job outputs (`run_fold`'s, e.g. kept by ``on_job`` from an interrupted run).

    Tables without all ``folds * repeats`` jobs are left out (logged, and listed in
    ``timing["incomplete_tables"]``). Records under the suite's former arm names (saved by an
    older version) are read under today's (`augment.suite.arms.ARM_ALIASES`). An arm without a
    record on any table (one that could run nowhere, or jobs saved before the arm existed) is
    left out of the result (logged, and listed in ``timing["arms_without_records"]``).
    """
    arms = _canonical(arms)
    outputs = [
        {**o, "records": [{**r, "arm": canonical_arm(r["arm"])} for r in o["records"]]}
        for o in outputs
    ]
    done: dict[str, set] = {}
    for out in outputs:
        for r in out["records"]:
            done.setdefault(r["table"], set()).add((r["repeat"], r["fold"]))
    complete = [t for t in tables if len(done.get(t.name, ())) == folds * repeats]
    names = {t.name for t in complete}
    missing = [t.name for t in tables if t.name not in names]
    if missing:
        log.warning("left out, not all folds done: %s", ", ".join(missing))
    outputs = [o for o in outputs if o["records"] and o["records"][0]["table"] in names]
    records = sorted(
        (r for out in outputs for r in out["records"]),
        key=lambda r: (r["table"], r["repeat"], r["fold"], r["arm"], r["classifier"], r["k"]),
    )
    per_table: dict[str, float] = {}
    skipped: dict[str, dict[str, str]] = {}
    for out in outputs:
        name = out["records"][0]["table"]
        per_table[name] = per_table.get(name, 0.0) + out["cpu_s"]
        skipped.setdefault(name, {}).update(out.get("skipped", {}))  # absent in older saves
    seen = {r["arm"] for r in records}
    unseen = [a for a in arms if a not in seen]
    if unseen:
        log.warning("left out, no records: %s", ", ".join(unseen))
        arms = {n: a for n, a in arms.items() if n in seen}
    summary = summarize(
        records,
        [t.name for t in complete],
        list(classifiers),
        {name: arm.classical for name, arm in arms.items()},
        folds,
        alpha,
        skipped,
    )
    config = {
        "folds": folds,
        "repeats": repeats,
        "gan_seeds": gan_seeds,
        "gan_seeds_aggregation": "mean per fold",
        "seed": seed,
        "n_jobs": n_jobs,
        "threads_per_job": 1,
        "alpha": alpha,
        "arms": {
            n: {"classical": a.classical, "class_weight": a.class_weight} for n, a in arms.items()
        },
        "classifiers": list(classifiers),
        "metric": "balanced_accuracy",
        "ci": "95%, t with Nadeau-Bengio corrected variance over folds",
        "test": "Nadeau-Bengio corrected resampled t-test over folds, two-sided",
    }
    timing = {
        "wall_s": wall_s,
        "cpu_s": sum(o["cpu_s"] for o in outputs),
        "job_wall_s": sum(o["wall_s"] for o in outputs),
        "jobs": len(outputs),
        "incomplete_tables": missing,
        "arms_without_records": unseen,
        "per_table_cpu_s": per_table,
    }
    tables_info = [
        {**t.describe(), **({"removed": t.removed} if t.removed else {})} for t in complete
    ]
    return SuiteResult(config, tables_info, records, summary, timing)


def _canonical(arms: dict[str, Arm]) -> dict[str, Arm]:
    """``arms`` under today's names (a former suite name mapped; two of one name an error)."""
    out = {canonical_arm(n): a for n, a in arms.items()}
    if len(out) != len(arms):
        raise ConfigError(f"arms {sorted(arms)} name one arm twice (old and new name)")
    return out


def _execute(jobs: list[FoldJob], n_jobs: int, on_job: Callable[[dict], None] | None) -> list[dict]:
    """Run the jobs table by table, smallest table first (partial runs cover most tables)."""
    size = {}
    for job in jobs:
        size.setdefault(job.table.name, len(job.table.y))
    order = sorted(range(len(jobs)), key=lambda i: (size[jobs[i].table.name], i))
    results: list[dict | None] = [None] * len(jobs)
    if n_jobs == 1:
        with one_thread():
            for n_done, i in enumerate(order):
                results[i] = _logged(run_fold(jobs[i]), jobs[i], n_done, len(jobs), on_job)
        return results  # type: ignore[return-value]
    with (
        environ({v: "1" for v in THREAD_VARS}),  # inherited by the spawned workers
        ProcessPoolExecutor(
            n_jobs, mp_context=mp.get_context("spawn"), initializer=init_worker
        ) as pool,
    ):
        futures = {i: pool.submit(run_fold, jobs[i]) for i in order}
        for n_done, i in enumerate(order):
            results[i] = _logged(futures[i].result(), jobs[i], n_done, len(jobs), on_job)
    return results  # type: ignore[return-value]


def _logged(out: dict, job: FoldJob, i: int, n: int, on_job: Callable[[dict], None] | None) -> dict:
    log.info(
        "job %d/%d %s repeat %d fold %d: %.1f s",
        i + 1,
        n,
        job.table.name,
        job.repeat,
        job.fold,
        out["wall_s"],
    )
    if on_job is not None:
        on_job(out)
    return out
