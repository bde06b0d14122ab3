"""The run's temporary Prefect server: the periodic loops one run never needs are off, and the
user's environment still decides (every flow test of the suite runs on such a server:
`conftest.prefect_api`)."""

import sys
import urllib.request
from pathlib import Path

import pytest

from flows.server import IDLE_LOOPS, TemporaryAPI


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/PID/environ")
def test_idle_loops_are_off_unless_the_environment_turns_one_on(tmp_path, monkeypatch):
    monkeypatch.setenv("PREFECT_SERVER_SERVICES_FOREMAN_ENABLED", "true")
    api = TemporaryAPI(tmp_path / "state").start()
    try:
        url = api.url(timeout_s=300)
        with urllib.request.urlopen(f"{url}/health", timeout=10) as r:
            assert r.status == 200
        raw = Path(f"/proc/{api.process.pid}/environ").read_bytes().split(b"\0")
        env = dict(x.decode().split("=", 1) for x in raw if b"=" in x)
    finally:
        api.stop()
    loops = {k: env.get(f"PREFECT_SERVER_SERVICES_{k}_ENABLED") for k in IDLE_LOOPS}
    assert loops.pop("FOREMAN") == "true"
    assert set(loops.values()) == {"false"}, loops
    assert "TASK_RUN_RECORDER" not in IDLE_LOOPS and "EVENT_PERSISTER" not in IDLE_LOOPS
