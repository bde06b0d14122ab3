"""The `augment` CLI as a process of its own, in a folder of its own, shared by the tests that
read what a user sees (stderr, exit code) or that need the run's process to end."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path


def augment_process(
    *args: str,
    cwd: Path,
    timeout: float = 300,
    tracking_env: bool = True,
    prefect_api: str | None = None,
) -> subprocess.CompletedProcess:
    """``python -m augment.cli ARGS`` in ``cwd``: its own tracking store ``cwd/mlflow.db``, HOME
    ``cwd/home`` (where ~/.prefect would be) and no Prefect server or database of this process.
    ``tracking_env=False``: no ``MLFLOW_TRACKING_URI`` (the store comes from ``cwd/mlflow.yml``
    or the packaged default, as for a user who sets nothing). ``prefect_api``: a Prefect server
    the run uses instead of starting its temporary one (the ``prefect_api`` fixture: ~8 CPU s
    less per run, for tests that are not about the temporary server)."""
    return subprocess.run(
        [sys.executable, "-m", "augment.cli", *args],
        cwd=cwd,
        env=process_env(cwd, tracking_env, prefect_api),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def python_process(
    code: str, cwd: Path, timeout: float = 300, prefect_api: str | None = None
) -> subprocess.CompletedProcess:
    """``python -c CODE`` in ``cwd`` with the environment of `augment_process`: a program that
    calls ``augment.cli.main`` after setting something up (e.g. registering an arm)."""
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=cwd,
        env=process_env(cwd, True, prefect_api),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def process_env(
    cwd: Path, tracking_env: bool = True, prefect_api: str | None = None
) -> dict[str, str]:
    """The environment of a CLI process of its own in ``cwd`` (see `augment_process`)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_API", "MLFLOW_"))}
    env |= {"OMP_NUM_THREADS": "1"}
    if prefect_api:
        env |= {"PREFECT_API_URL": prefect_api}
    if tracking_env:
        env |= {"MLFLOW_TRACKING_URI": f"sqlite:///{cwd}/mlflow.db"}
    (cwd / "home").mkdir(exist_ok=True)
    env |= {"HOME": str(cwd / "home")}
    return {k: v for k, v in env.items() if k not in ("PREFECT_HOME",) and "DATABASE" not in k}


@contextmanager
def read_only(*paths: Path):
    """Make folders read-only for the block: ``chattr +i`` as root (root ignores modes),
    else mode 0555. Undone on the way out."""
    immutable = os.geteuid() == 0 and shutil.which("chattr") is not None

    def freeze(p: Path, on: bool) -> None:
        if immutable:
            flag = "+i" if on else "-i"
            subprocess.run(["chattr", flag, str(p)], check=on, capture_output=True)
        else:
            p.chmod(0o555 if on else 0o755)

    done = []
    try:
        for p in paths:
            freeze(p, True)
            done.append(p)
        yield
    finally:
        for p in done:
            freeze(p, False)
