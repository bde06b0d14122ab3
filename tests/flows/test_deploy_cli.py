"""`prefect deploy --all` with this repository's prefect.yaml, against a real `prefect server`,
then `prefect deployment ls` lists it (both failed with 422 on fastapi >= 0.151); then
`prefect worker start` runs a tiny run of the deployment to completion (a FINISHED MLflow run),
picks up a second one (a long GAN fit), and is sent SIGTERM while that fit runs (issue 29).
Prefect's process worker exits at once and SIGKILLs the flow-run process, or (seen under load)
waits for its run to finish, until the end of the grace period SIGKILLs the flow-run process
(the test does that after 15 s, near `docker stop`'s 10 s: meanwhile the fit burns a core);
our watchdog (flows/watchdog.py) must then mark the MLflow run
KILLED and the flow run Crashed, and the fit must stop: nothing is left RUNNING.

Only the two commands under test run as `prefect` CLI processes (each costs seconds of
imports); the work pool and the flow run are made through the Python client."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from contextlib import ExitStack
from pathlib import Path

import pytest
from _servers import VENV_BIN, descendants, prefect_server, process
from mlflow.tracking import MlflowClient

pytestmark = pytest.mark.server

ROOT = Path(__file__).resolve().parents[2]


def _alive(pids: set[int]) -> set[int]:
    """Those of ``pids`` that still run (zombies count as gone)."""
    alive = set()
    for pid in pids:
        try:
            if Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z":
                alive.add(pid)
        except OSError:
            pass
    return alive


def _flow_run_processes(pids: set[int]) -> list[int]:
    """Those of ``pids`` that run a flow (``python -m prefect.engine``, the process worker's)."""
    found = []
    for pid in pids:
        try:
            args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"prefect.engine" in args:
            found.append(pid)
    return found


def _wait_for(what: str, check, timeout: float, log: Path):
    """Poll ``check`` until it returns something truthy; fail naming ``what`` with the log."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(1)
    raise AssertionError(f"{what} not within {timeout} s:\n{log.read_text()[-3000:]}")


def test_prefect_deploy_all_list_a_worker_runs_it_and_stopped_mid_run_leaves_nothing_running(
    tmp_path,
):
    from prefect.client.orchestration import SyncPrefectClient
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.workers.process import ProcessWorker

    store = f"sqlite:///{tmp_path / 'mlflow.db'}"
    with ExitStack() as stack:
        env = stack.enter_context(prefect_server(tmp_path))
        env = dict(env, AUGMENT_HOME=str(ROOT), MLFLOW_TRACKING_URI=store, COLUMNS="250")
        env["PREFECT_LOGGING_LEVEL"] = "INFO"  # the flow run's INFO lines name its MLflow run
        client = stack.enter_context(SyncPrefectClient(env["PREFECT_API_URL"]))
        client.create_work_pool(
            WorkPoolCreate(
                name="augment-process",
                type="process",
                base_job_template=ProcessWorker.get_default_base_job_template(),
            )
        )

        def prefect(*args: str) -> subprocess.CompletedProcess:
            cmd = [str(VENV_BIN / "prefect"), *args]
            return subprocess.run(
                cmd, capture_output=True, text=True, env=env, cwd=ROOT, timeout=180
            )

        before = (ROOT / "prefect.yaml").read_bytes()
        deploy = prefect("--no-prompt", "deploy", "--all")
        assert deploy.returncode == 0, deploy.stdout[-3000:] + deploy.stderr[-3000:]
        # (a bare "422" can be part of the deployment's UUID in the output)
        assert not re.search(r"\b422\b|Unprocessable", deploy.stdout + deploy.stderr)
        listed = prefect("deployment", "ls")
        assert listed.returncode == 0, listed.stdout[-3000:] + listed.stderr[-3000:]
        assert "augmentation/augment-nightly" in listed.stdout
        assert (ROOT / "prefect.yaml").read_bytes() == before  # the user's file is not rewritten

        def config(epochs: int) -> dict:
            return {
                "data": {"source": "builtin:wine"},
                "gan": {"epochs": epochs},
                "seeds": 1,
                "arms": ["baseline", "gan"],
                "orchestration": {"cache_dir": str(tmp_path / "cache")},
            }

        deployment = client.read_deployment_by_name("augmentation/augment-nightly")
        tiny = client.create_flow_run_from_deployment(
            deployment.id, parameters={"config": config(1)}
        )
        log = tmp_path / "worker.log"
        worker_cmd = [str(VENV_BIN / "prefect"), "worker", "start", "--pool", "augment-process"]
        ours: set[int] = set()
        try:
            with process(worker_cmd, log, env, ROOT) as worker:

                def completed():
                    assert worker.poll() is None, log.read_text()[-3000:]
                    state = client.read_flow_run(tiny.id).state
                    return state.is_final() and state.type.value

                assert _wait_for("the tiny run's end", completed, 400, log) == "COMPLETED"
                mlflow = MlflowClient(store)
                # the worker relays the flow run's lines: the last may come after its state
                (done_id,) = _wait_for(
                    "the tiny run's MLflow run in the worker's log",
                    lambda: re.findall(r"MLflow parent run (\w+)", log.read_text()),
                    60,
                    log,
                )
                assert mlflow.get_run(done_id).info.status == "FINISHED"
                # a second run (5000 epochs: still fitting when the worker is stopped)
                flow_run = client.create_flow_run_from_deployment(
                    deployment.id, parameters={"config": config(5000)}
                )

                def opened():  # the flow has made its run: reading it races no migration
                    assert worker.poll() is None, log.read_text()[-3000:]
                    return re.findall(r"MLflow parent run (\w+)", log.read_text())[1:]

                (run_id,) = _wait_for("the second flow run's MLflow run", opened, 400, log)

                def fitting():
                    return "gan_d_loss" in mlflow.get_run(run_id).data.metrics

                _wait_for("the GAN fit's first epoch", fitting, 120, log)
                ours = descendants(worker.pid)  # flow run, fit, fork server, watchdog
                assert len(_flow_run_processes(ours)) == 1, ours
                worker.send_signal(signal.SIGTERM)  # as `kill`, docker stop, Kubernetes
                sent = time.monotonic()
                try:
                    worker.wait(15)  # it exits at once and SIGKILLs the flow-run process, or...
                except subprocess.TimeoutExpired:
                    # ... (seen under a loaded suite) it stops polling and waits for its runs
                    # to finish (Prefect's graceful stop): the end of the grace period (docker
                    # stop, Kubernetes) SIGKILLs the flow-run process, as the worker would
                    for pid in _flow_run_processes(ours):
                        os.kill(pid, signal.SIGKILL)
                    print("the worker waited for its run: its flow-run process was SIGKILLed")
                    try:
                        worker.wait(60)
                    except subprocess.TimeoutExpired:  # it may wait on: a second SIGTERM
                        worker.send_signal(signal.SIGTERM)  # (Prefect: SIGKILL to the worker)
                        worker.wait(120)  # its exit code is Prefect's business on this path
                else:
                    assert worker.returncode == 0, log.read_text()[-3000:]
                print(f"worker stopped {time.monotonic() - sent:.1f} s after SIGTERM")

            def ended():
                status = mlflow.get_run(run_id).info.status
                state = client.read_flow_run(flow_run.id).state
                return status != "RUNNING" and state.is_final() and (status, state.type.value)

            ended_as = _wait_for("the runs' end", ended, 300, log)  # the watchdog imports MLflow
            assert ended_as == ("KILLED", "CRASHED"), log.read_text()[-3000:]
            _wait_for(
                "the end of the fit, flow-run and watchdog processes",
                lambda: not _alive(ours),
                120,
                log,
            )
        finally:
            for pid in _alive(ours):  # a failed check leaves no fit running
                os.kill(pid, signal.SIGKILL)
