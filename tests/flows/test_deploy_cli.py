"""`prefect deploy --all` with this repository's prefect.yaml, against a real `prefect server`,
then `prefect deployment ls` lists it (both failed with 422 on fastapi >= 0.151); then a
`prefect deployment run` of it (tiny parameters) is picked up by a process worker, completes
and leaves a FINISHED MLflow run."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from _servers import VENV_BIN, prefect_server
from mlflow.tracking import MlflowClient

pytestmark = pytest.mark.server

ROOT = Path(__file__).resolve().parents[2]


def test_prefect_deploy_all_list_and_a_process_worker_runs_it(tmp_path):
    store = f"sqlite:///{tmp_path / 'mlflow.db'}"
    with prefect_server(tmp_path) as env:
        env = dict(env, AUGMENT_HOME=str(ROOT), MLFLOW_TRACKING_URI=store, COLUMNS="250")

        def prefect(*args: str, timeout: int = 180) -> subprocess.CompletedProcess:
            return subprocess.run(
                [str(VENV_BIN / "prefect"), *args],
                capture_output=True,
                text=True,
                env=env,
                cwd=ROOT,
                timeout=timeout,
            )

        before = (ROOT / "prefect.yaml").read_bytes()
        pool = prefect("work-pool", "create", "augment-process", "--type", "process")
        assert pool.returncode == 0, pool.stdout + pool.stderr
        deploy = prefect("--no-prompt", "deploy", "--all")
        assert deploy.returncode == 0, deploy.stdout[-3000:] + deploy.stderr[-3000:]
        assert "422" not in deploy.stdout + deploy.stderr
        listed = prefect("deployment", "ls")
        assert listed.returncode == 0, listed.stdout[-3000:] + listed.stderr[-3000:]
        assert "augmentation/augment-nightly" in listed.stdout
        runs = prefect("flow-run", "ls")
        assert runs.returncode == 0, runs.stdout[-3000:] + runs.stderr[-3000:]
        assert (ROOT / "prefect.yaml").read_bytes() == before  # the user's file is not rewritten

        tiny = {
            "data": {"source": "builtin:wine"},
            "gan": {"epochs": 1},
            "seeds": 1,
            "arms": ["baseline", "gan"],
            "orchestration": {"cache_dir": str(tmp_path / "cache")},
        }
        params = json.dumps({"config": tiny})
        started = prefect("deployment", "run", "augmentation/augment-nightly", "--params", params)
        assert started.returncode == 0, started.stdout[-3000:] + started.stderr[-3000:]
        worker = prefect("worker", "start", "--pool", "augment-process", "--run-once", timeout=600)
        assert worker.returncode == 0, worker.stdout[-3000:] + worker.stderr[-3000:]
        runs = prefect("flow-run", "ls", "--state", "COMPLETED")
        done = [line for line in runs.stdout.splitlines() if "COMPLETED" in line]
        assert len(done) == 1 and "augmentation" in done[0], runs.stdout + worker.stdout[-3000:]
    client = MlflowClient(store)
    (exp,) = [e for e in client.search_experiments() if e.name == "augment"]
    parents = client.search_runs([exp.experiment_id], "tags.mlflow.parentRunId IS NULL")
    assert [r.info.status for r in parents] == ["FINISHED"]
