"""The `augment` CLI as a process of its own, in a folder of its own, shared by the tests that
read what a user sees (stderr, exit code) or that need the run's process to end."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def augment_process(
    *args: str, cwd: Path, timeout: float = 300, tracking_env: bool = True
) -> subprocess.CompletedProcess:
    """``python -m augment.cli ARGS`` in ``cwd``: its own tracking store ``cwd/mlflow.db``, HOME
    ``cwd/home`` (where ~/.prefect would be) and no Prefect server or database of this process.
    ``tracking_env=False``: no ``MLFLOW_TRACKING_URI`` (the store comes from ``cwd/mlflow.yml``
    or the packaged default, as for a user who sets nothing)."""
    return subprocess.run(
        [sys.executable, "-m", "augment.cli", *args],
        cwd=cwd,
        env=process_env(cwd, tracking_env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def python_process(code: str, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    """``python -c CODE`` in ``cwd`` with the environment of `augment_process`: a program that
    calls ``augment.cli.main`` after setting something up (e.g. registering an arm)."""
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=cwd,
        env=process_env(cwd, True),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def process_env(cwd: Path, tracking_env: bool = True) -> dict[str, str]:
    """The environment of a CLI process of its own in ``cwd`` (see `augment_process`)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_API", "MLFLOW_"))}
    env |= {"OMP_NUM_THREADS": "1"}
    if tracking_env:
        env |= {"MLFLOW_TRACKING_URI": f"sqlite:///{cwd}/mlflow.db"}
    (cwd / "home").mkdir(exist_ok=True)
    env |= {"HOME": str(cwd / "home")}
    return {k: v for k, v in env.items() if k not in ("PREFECT_HOME",) and "DATABASE" not in k}
