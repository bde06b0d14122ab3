"""The Prefect task runner that runs arms x seeds: a thread pool, or Dask via prefect-dask."""

from __future__ import annotations

import os

from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner

from augment.config import OrchestrationConfig
from augment.environ import private_folder
from augment.exceptions import ConfigError


def usable_cores() -> int:
    """CPU cores this process may run on (its affinity mask where the OS has one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS, Windows
        return max(1, os.cpu_count() or 1)


def make_task_runner(cfg: OrchestrationConfig) -> TaskRunner:
    """``thread``: `ThreadPoolTaskRunner` of ``max_workers`` threads (default: one per usable
    core; Prefect's own default, unbounded, runs every task at once and the threads fight for the
    GIL); ``dask``: `DaskTaskRunner` on ``dask_address`` or a `LocalCluster` started (and closed)
    by the runner, its scratch folders in a temporary folder removed when the process exits
    (Dask's ``temporary-directory``, unless set).
    Needs the ``dask`` extra."""
    if cfg.runner == "thread":
        return ThreadPoolTaskRunner(max_workers=cfg.max_workers or usable_cores())
    try:
        from prefect_dask import DaskTaskRunner
    except ImportError:
        raise ConfigError("runner 'dask' needs prefect-dask: pip install 'augment[dask]'") from None
    if cfg.dask_address:
        return DaskTaskRunner(address=cfg.dask_address)
    import dask.config

    # the cluster's scratch folders in one of the process's own, unless the user's Dask config
    # names one (else a `dask-scratch-space` is left in the temp folder); no dashboard (a
    # one-run cluster: port 8787 is often someone else's)
    if dask.config.get("temporary-directory", None) is None:
        dask.config.set({"temporary-directory": private_folder("augment-dask-")})
    kwargs = {"processes": True, "threads_per_worker": 1, "dashboard_address": None}
    if cfg.max_workers:
        kwargs["n_workers"] = cfg.max_workers
    return DaskTaskRunner(cluster_kwargs=kwargs)
