"""`orchestration.runner: dask` on a real LocalCluster (a worker process) gives the summary the
thread pool gives: arms x seeds are seeded tasks, wherever they run.

Run in a fresh interpreter: Dask pickles the tasks by reference, which a test session that
re-imports `flows` modules (tests/test_imports.py) would break."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytest.importorskip("prefect_dask")  # the `dask` extra; the `dev` extra installs it for CI

ROOT = Path(__file__).resolve().parents[2]

# One arm that uses a generator (its weights file travels to the workers by path), one seed, one
# epoch: what differs between the runners is where tasks run, not how much they compute. Each
# step says on stderr that it starts, so a timeout names the step it was waiting on.
SCRIPT = textwrap.dedent(
    """
    import json, sys
    from augment.config import build_config
    from flows import augmentation_flow

    out = {}
    for runner in ("thread", "dask"):
        print(f"step: {runner} runner: fitting one generator and running the gan arm",
              file=sys.stderr, flush=True)
        values = {
            "data": {"source": "builtin:wine", "imbalance_fraction": 0.2},
            "gan": {"epochs": 1, "batch_size": 32},
            "seeds": 1,
            "arms": ["baseline", "gan"],
            # separate caches: the second run must compute, not replay the first
            # one Dask worker process: the tasks still run (and are pickled) outside this one
            "orchestration": {"runner": runner, "max_workers": 1, "cache_dir": f"cache-{runner}"},
        }
        summary = augmentation_flow(build_config(values))
        out[runner] = {"arms": summary["arms"], "leakage": summary["leakage_check"]["passed"]}
        print(f"step: {runner} runner: done", file=sys.stderr, flush=True)
    json.dump(out, open(sys.argv[1], "w"))
    """
)
TIMEOUT_S = 1200  # ~1 minute on an idle 2-core machine; a loaded one is many times slower


def test_dask_local_cluster_matches_the_thread_pool(tmp_path, prefect_api):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
    env |= {"MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path}/mlflow.db", "OMP_NUM_THREADS": "1"}
    # the session's Prefect server: not one of Prefect's own, migrated anew, for this process
    env["PREFECT_API_URL"] = prefect_api
    env["PYTHONPATH"] = str(ROOT)
    env["TMPDIR"] = str(tmp_path / "tmp")  # the cluster's scratch folders go here
    (tmp_path / "tmp").mkdir()
    out = tmp_path / "out.json"
    try:
        run = subprocess.run(
            [sys.executable, "-c", SCRIPT, str(out)],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
        )
    except subprocess.TimeoutExpired as err:
        said = err.stderr.decode(errors="replace") if isinstance(err.stderr, bytes) else err.stderr
        steps = [line for line in (said or "").splitlines() if line.startswith("step: ")]
        pytest.fail(
            f"no result within {TIMEOUT_S} s; the last step started: "
            f"{steps[-1] if steps else 'none (the interpreter was still importing)'}"
        )
    assert run.returncode == 0, run.stderr[-4000:]
    got = json.loads(out.read_text())
    threads, dask = got["thread"], got["dask"]
    assert set(dask["arms"]) == set(threads["arms"]) == {"baseline", "gan"}
    for arm, metrics in threads["arms"].items():
        assert dask["arms"][arm]["balanced_accuracy"]["values"] == pytest.approx(
            metrics["balanced_accuracy"]["values"], abs=1e-12
        ), arm
    assert dask["leakage"] and threads["leakage"]
    # the workers' `dask-scratch-space` is the run's own temporary folder, gone afterwards
    assert not any((tmp_path / "tmp").rglob("dask-scratch-space")), sorted(
        (tmp_path / "tmp").rglob("*")
    )
