"""`prefect deploy --all` with this repository's prefect.yaml, against a real `prefect server`,
then `prefect deployment ls` lists it (both failed with 422 on fastapi >= 0.151)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from _servers import VENV_BIN, prefect_server

pytestmark = pytest.mark.server

ROOT = Path(__file__).resolve().parents[2]


def test_prefect_deploy_all_and_list(tmp_path):
    with prefect_server(tmp_path) as env:
        env = dict(env, AUGMENT_HOME=str(ROOT))

        def prefect(*args: str) -> subprocess.CompletedProcess:
            return subprocess.run(
                [str(VENV_BIN / "prefect"), *args],
                capture_output=True,
                text=True,
                env=env,
                cwd=ROOT,
                timeout=180,
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
