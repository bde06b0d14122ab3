"""`augment ui`: the MLflow UI on the runs' store, loopback, a free port; stops with us."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests._servers import descendants, wait_http


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.server
def _descendant_cmdlines(pid: int) -> list[str]:
    """The command lines of the processes below ``pid`` (Linux /proc)."""
    lines = []
    for child in descendants(pid):
        try:
            lines.append(Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" "))
        except OSError:
            pass
    return [c.decode(errors="replace") for c in lines]


def test_ui_serves_the_store_and_stops_with_its_children(tmp_path):
    from mlflow import MlflowClient

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    MlflowClient(uri).create_experiment("augment")
    env = dict(os.environ, MLFLOW_TRACKING_URI=uri)
    log = tmp_path / "ui.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "augment.cli", "ui"],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=tmp_path,
        )
    try:
        # the URL is printed once the UI listens: slow on a loaded machine
        deadline = time.monotonic() + 180
        while "http://" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.2)
        url = next(w for w in log.read_text().split() if w.startswith("http://"))
        assert url.startswith("http://127.0.0.1:")  # loopback by default
        assert str(tmp_path / "mlflow.db") in log.read_text()  # names the store, absolute
        wait_http(f"{url}/health", proc, log)
        port = int(url.rsplit(":", 1)[1])
        # MLflow's job runner (about ten huey worker processes) is not started for a UI
        assert not [c for c in _descendant_cmdlines(proc.pid) if "huey" in c]
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
    deadline = time.monotonic() + 15
    while _listening(port) and time.monotonic() < deadline:
        time.sleep(0.3)
    assert not _listening(port), "the UI server outlived `augment ui`"


def test_ui_without_a_store_is_exit_2_and_creates_nothing(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"}
    r = subprocess.run(
        [sys.executable, "-m", "augment.cli", "ui"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    assert r.returncode == 2
    assert f"no tracking store at {Path(tmp_path).resolve() / 'mlflow.db'}" in r.stderr
    assert list(tmp_path.iterdir()) == []
