"""``augment ui``: ``mlflow ui`` on the store runs are tracked in, on loopback by default."""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time

from augment.cli.boundary import note

LOOPBACK = ("127.0.0.1", "localhost", "::1")
READY_S = 60  # how long the UI may take to listen


def add_parser(sub, verbose: argparse.ArgumentParser) -> None:
    ui = sub.add_parser(
        "ui", parents=[verbose], help="open the MLflow UI on the runs' tracking store"
    )
    ui.add_argument("--host", default="127.0.0.1", help="interface (default: loopback only)")
    ui.add_argument("--port", type=int, default=0, help="port (default: a free one)")
    ui.set_defaults(handler=command)


def claim_port(host: str, port: int) -> int:
    """``port`` (0: a free one) if it can be listened on at ``host``; `ConfigError` otherwise."""
    from augment.exceptions import ConfigError

    if not 0 <= port < 65536:
        raise ConfigError(f"--port must be 0 (a free port) or 1-65535, got {port}")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, ValueError) as err:
        raise ConfigError(f"--host {host!r} is not an address of this machine ({err})") from None
    family, kind, proto, _, address = infos[0]
    try:
        with socket.socket(family, kind, proto) as sock:
            sock.bind(address)
            return sock.getsockname()[1]
    except OSError as err:
        reason = "is in use" if port else "cannot be listened on"
        raise ConfigError(
            f"--host {host} --port {port} {reason} ({err.strerror or err}); choose another port,"
            " or leave --port out for a free one"
        ) from None


def _wait_listening(proc: subprocess.Popen, host: str, port: int) -> None:
    """Until the UI accepts connections; `RuntimeError` if it exits or never listens."""
    deadline = time.monotonic() + READY_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"mlflow ui exited with code {proc.returncode} before listening")
        try:
            with socket.create_connection((host, port), timeout=1):
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"mlflow ui did not listen on {host}:{port} within {READY_S} s")


def command(args: argparse.Namespace) -> int:
    from augment.cli.boundary import Terminated, stop_on_sigterm
    from augment.exceptions import ConfigError
    from augment.tracking import load_tracking_config
    from augment.tracking.config import require_store

    if not 0 <= args.port < 65536:  # the flag first, whatever the store
        raise ConfigError(f"--port must be 0 (a free port) or 1-65535, got {args.port}")
    cfg = load_tracking_config()
    from augment.tracking.probe import check_store

    check_store(cfg, write=False)  # first: an unusable store exits 2 in seconds
    if cfg.tracking_uri.startswith(("http://", "https://")):
        print(f"runs are tracked on the server {cfg.describe()}: open it in a browser")
        return 0
    require_store(cfg)
    port = claim_port(args.host, args.port)
    cmd = [sys.executable, "-m", "mlflow", "ui", "--backend-store-uri", cfg.tracking_uri]
    cmd += ["--host", args.host, "--port", str(port), "--workers", "1"]
    if args.host not in LOOPBACK:
        note(f"augment: note: serving on {args.host}: whoever reaches it reads every run")
    stop_on_sigterm()
    # its own process group: the UI's server workers stop with it, whatever stops us
    quiet = None if args.verbose else subprocess.DEVNULL
    # MLflow's job runner (GenAI jobs: about ten worker processes) has nothing to run for augment
    env = {"MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false", **os.environ}
    proc = subprocess.Popen(cmd, stdout=quiet, stderr=quiet, start_new_session=True, env=env)
    try:
        _wait_listening(proc, args.host, port)
        print(f"MLflow UI for {cfg.describe()}", flush=True)
        print(f"  http://{args.host}:{port}  (Ctrl-C to stop)", flush=True)
        return proc.wait()
    except (KeyboardInterrupt, Terminated):
        return 0
    finally:
        _stop(proc)


def _stop(proc: subprocess.Popen) -> None:
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        if proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, sig)
            proc.wait(wait)
            return
        except ProcessLookupError:
            return
        except subprocess.TimeoutExpired:
            continue
