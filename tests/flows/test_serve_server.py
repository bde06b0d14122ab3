"""Against a real `prefect server start`: `augment serve` serves the flow as a deployment, a run
of the deployment is triggered with `run_deployment` and completes, and MLflow has its run."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from _servers import prefect_server, process

pytestmark = pytest.mark.server  # a real `prefect server start`: deselect with -m "not server"

ROOT = Path(__file__).resolve().parents[2]

TRIGGER = textwrap.dedent(
    """
    import sys, time
    from prefect.client.orchestration import get_client
    from prefect.deployments import run_deployment

    name = sys.argv[1]
    deadline = time.monotonic() + 180
    with get_client(sync_client=True) as client:
        while True:  # the serve process registers the deployment when it is up
            try:
                client.read_deployment_by_name(name)
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(1)
    run = run_deployment(name, timeout=300, poll_interval=2)
    print("FLOW_RUN", run.id, run.state.type.value)
    """
)


def test_served_deployment_runs_to_completion_and_tracks(tmp_path):
    cfg = tmp_path / "scheduled.yml"
    cfg.write_text(
        textwrap.dedent(
            f"""
            data: {{source: "builtin:wine"}}
            gan: {{epochs: 1}}
            seeds: 1
            arms: [baseline, gan]
            orchestration: {{cache_dir: "{tmp_path / "cache"}"}}
            """
        )
    )
    db = f"sqlite:///{tmp_path / 'mlflow.db'}"
    with prefect_server(tmp_path) as env:
        env = {**env, "MLFLOW_TRACKING_URI": db, "PYTHONPATH": str(ROOT)}
        serve = [sys.executable, "-m", "augment.cli", "serve", str(cfg), "--name", "ci"]
        with process(serve, tmp_path / "serve.log", env, tmp_path) as served:
            out = subprocess.run(
                [sys.executable, "-c", TRIGGER, "augmentation/ci"],
                env=env,
                cwd=tmp_path,
                capture_output=True,
                text=True,
                timeout=480,
            )
            log = (tmp_path / "serve.log").read_text()
            assert served.poll() is None, log[-3000:]
    assert out.returncode == 0, out.stderr[-3000:] + log[-3000:]
    line = next(ln for ln in out.stdout.splitlines() if ln.startswith("FLOW_RUN"))
    _, flow_run_id, state = line.split()
    assert state == "COMPLETED", log[-3000:]
    runs = _runs(db, flow_run_id)
    assert len(runs) == 1 and runs[0].info.status == "FINISHED"
    assert os.path.isdir(tmp_path / "cache" / "models")


def _runs(db: str, flow_run_id: str):
    from mlflow.tracking import MlflowClient

    client = MlflowClient(db)
    exp = client.get_experiment_by_name("augment")
    return client.search_runs(
        [exp.experiment_id], filter_string=f"tags.prefect_flow_run_id = '{flow_run_id}'"
    )
