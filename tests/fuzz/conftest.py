"""Fuzzer profiles, the shared findings folder, and the fixtures the fuzz tests share: loopback
servers, an empty migrated tracking store and two logged generators (built once per run,
across pytest-xdist workers, under a file lock).

Profiles (``AUGMENT_FUZZ_PROFILE``):

- ``ci`` (default): fixed seed (``derandomize``), a few examples per family (about 3-4 minutes
  on 2 cores), no example database, no shrinking (an example runs the whole CLI: seconds to a
  minute each; every failing example is recorded instead, with its command line and inputs).
- ``long``: a fresh seed each run (``AUGMENT_FUZZ_SEED`` to repeat one), hundreds of examples
  per family, stopped per test after ``AUGMENT_FUZZ_MINUTES`` (default 40) minutes.

``AUGMENT_FUZZ_EXAMPLES=N`` sets every family's count. The findings (one JSON line per
example, the inputs of each failing example) go to ``AUGMENT_FUZZ_OUT`` (default a new folder
under the system temp folder); the terminal summary counts the examples and lists the distinct
findings.
"""

from __future__ import annotations

import fcntl
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from profiles import PROFILE, fuzz_seed

# ---------------------------------------------------------------------------------------------
# one findings folder per pytest run, shared with the xdist workers


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "fuzz: the CLI fuzzer (tests/fuzz; AUGMENT_FUZZ_PROFILE=ci|long)"
    )
    worker = getattr(config, "workerinput", None)
    if worker is not None and "augment_fuzz_out" in worker:  # the controller chose them
        config._fuzz_out = Path(worker["augment_fuzz_out"])
        config._fuzz_seed = worker["augment_fuzz_seed"]
        return
    # this process chooses: a plain run, or an xdist worker whose controller did not load this
    # conftest (a plain `pytest`): the workers of one run share its testrunuid
    run = worker.get("testrunuid") if worker is not None else None
    given = os.environ.get("AUGMENT_FUZZ_OUT")
    if given:
        out = Path(given)
    elif run:
        out = Path(tempfile.gettempdir()) / f"augment-fuzz-{run}"
    else:
        out = Path(tempfile.mkdtemp(prefix="augment-fuzz-"))
    out.mkdir(parents=True, exist_ok=True)
    config._fuzz_out = out
    seed = fuzz_seed()
    if seed is None:
        seed = int(run[:8], 16) if run else random.randrange(2**32)
    config._fuzz_seed = seed


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node):  # xdist, controller side: the workers share the folder
    node.workerinput["augment_fuzz_out"] = str(node.config._fuzz_out)
    node.workerinput["augment_fuzz_seed"] = node.config._fuzz_seed


def pytest_terminal_summary(terminalreporter, config):
    out = getattr(config, "_fuzz_out", None)
    if out is None or hasattr(config, "workerinput"):
        return
    outcomes = []
    for f in sorted(out.glob("*.jsonl")):
        outcomes += [json.loads(line) for line in f.read_text(encoding="utf-8").splitlines()]
    if not outcomes:
        return
    write = terminalreporter.write_line
    seed = "" if PROFILE == "ci" else f", seed {config._fuzz_seed} (AUGMENT_FUZZ_SEED)"
    terminalreporter.section(f"augment fuzz ({PROFILE} profile{seed})")
    families: dict[str, list[dict]] = {}
    for o in outcomes:
        families.setdefault(o["family"], []).append(o)
    distinct: dict[str, tuple[dict, dict]] = {}
    for fam, items in sorted(families.items()):
        bad = sum(bool(o["violations"]) for o in items)
        secs = sum(o["seconds"] for o in items)
        codes = sorted({str(o["code"]) for o in items})
        write(
            f"{fam:<13} {len(items):4d} examples, {bad:4d} broke the contract,"
            f" {secs:7.0f} s in the CLI, exit codes {', '.join(codes)}"
        )
        for o in items:
            for v in o["violations"]:
                from harness import normalize

                distinct.setdefault(f"{fam}|{v['kind']}|{normalize(v.get('key', ''))}", (o, v))
    write(f"total: {len(outcomes)} examples, {len(distinct)} distinct finding(s); details in {out}")
    for key, (o, v) in distinct.items():
        write(f"  [{key.split('|')[0]}/{v['kind']}] {v.get('detail', '')[:200]}")
        write(f"      $ {o['command'][:300]}")


# ---------------------------------------------------------------------------------------------
# fixtures


@pytest.fixture(scope="session")
def fuzz_out(request) -> Path:
    return request.config._fuzz_out


@pytest.fixture(scope="session")
def fuzz_home(fuzz_out) -> Path:
    """HOME for the examples of this worker (third-party caches: matplotlib, Prefect, MLflow)."""
    home = Path(tempfile.mkdtemp(prefix="home-", dir=fuzz_out))
    return home


@pytest.fixture(scope="session")
def examples_dir(fuzz_out) -> Path:
    folder = fuzz_out / "examples"
    folder.mkdir(exist_ok=True)
    return folder


@contextmanager
def _locked(path: Path):
    """An exclusive lock shared by the xdist workers of this run."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


class _Handler(BaseHTTPRequestHandler):
    delay = 0.0

    def _answer(self):
        time.sleep(self.delay)
        self.send_response(404)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(b"not here\n")

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _answer

    def log_message(self, *args):  # quiet
        pass


class _Slow(_Handler):
    delay = 30.0


@pytest.fixture(scope="session")
def loopback_servers():
    """Two HTTP servers on 127.0.0.1: one answers 404 at once, one after 30 s."""
    servers = {}
    for name, handler in (("http_404", _Handler), ("http_slow", _Slow)):
        srv = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        srv.daemon_threads = True
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        servers[name] = f"http://127.0.0.1:{srv.server_address[1]}"
    yield servers
    # shutdown() waits for serve_forever; the slow handler's threads are daemons
    for url in servers.values():
        _ = url


def _env() -> dict[str, str]:
    drop = ("PREFECT_API", "MLFLOW_", "AUGMENT_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    env.update(OMP_NUM_THREADS="1", PREFECT_SERVER_ANALYTICS_ENABLED="false", DO_NOT_TRACK="1")
    env.update(NO_ALBUMENTATIONS_UPDATE="1")
    return env


@pytest.fixture(scope="session")
def template_store(fuzz_out) -> Path:
    """An empty tracking store with MLflow's schema (copied by the examples that need one)."""
    db = fuzz_out / "shared" / "empty" / "mlflow.db"
    with _locked(fuzz_out / "shared" / "empty.lock"):
        if not db.is_file():
            db.parent.mkdir(parents=True, exist_ok=True)
            code = "import mlflow, sys; mlflow.MlflowClient(sys.argv[1]).search_experiments()"
            subprocess.run(
                [sys.executable, "-c", code, f"sqlite:///{db}"],
                env=_env() | {"HOME": str(db.parent)},
                cwd=db.parent,
                check=True,
                capture_output=True,
                timeout=300,
            )
    return db


@pytest.fixture(scope="session")
def shared_prefect(prefect_api) -> str | None:
    """The Prefect server the examples of the table, image, config and generate families use in
    the CI profile: this process's session server, ~8 CPU s less per example than each run's
    temporary server (the environments and commands families, and every family of the long
    profile, keep the temporary server a user's run starts, and its failure modes)."""
    return prefect_api if PROFILE == "ci" else None


@pytest.fixture(scope="session")
def models(fuzz_out, prefect_api) -> dict:
    """A tiny logged table generator and image generator in one store, made by `augment run`.

    ``{"db": Path, "table": {"run_id", "model_dir"}, "image": {...}, "root": Path}``
    """
    root = fuzz_out / "shared" / "models"
    done = root / "models.json"
    failed = root.parent / "models.failed"
    with _locked(fuzz_out / "shared" / "models.lock"):
        if failed.is_file():  # another worker tried: the same error, without trying again
            raise RuntimeError(failed.read_text())
        if not done.is_file():
            shutil.rmtree(root, ignore_errors=True)
            root.mkdir(parents=True)
            info = {"db": str(root / "mlflow.db"), "root": str(root)}
            try:  # both runs at once: at the end of a busy suite this fixture is the tail
                started = {
                    kind: _start_model(root, kind, prefect_api) for kind in ("table", "image")
                }
                for kind, proc in started.items():
                    info[kind] = _model_of(root, kind, proc)
            except Exception as err:
                failed.write_text(str(err))
                raise
            done.write_text(json.dumps(info))
    info = json.loads(done.read_text())
    return info


def _start_model(root: Path, kind: str, prefect_api: str) -> subprocess.Popen:
    """Start `augment run` on a tiny table or image folder of ``kind`` in ``root/kind``, logging
    its generator into the shared store ``root/mlflow.db`` (on the Prefect server
    ``prefect_api``: the models are the fixture, not the subject)."""
    import numpy as np

    cwd = root / kind
    cwd.mkdir()
    rng = np.random.default_rng(0)
    if kind == "table":
        rows = ["a,b,y"] + [
            f"{rng.normal():.4f},{int(rng.integers(0, 4))},{'b' if i % 4 == 0 else 'a'}"
            for i in range(48)
        ]
        (cwd / "t.csv").write_text("\n".join(rows) + "\n")
        data = ["--data", "t.csv", "--label", "y"]
    else:
        from PIL import Image

        for cls, n in (("a", 12), ("b", 8)):
            (cwd / "imgs" / cls).mkdir(parents=True)
            for i in range(n):
                px = rng.integers(0, 256, (8, 8), dtype=np.uint8)
                Image.fromarray(px).save(cwd / "imgs" / cls / f"{i}.png")
        data = ["--data", "imgs", "--classifier", "random_forest"]
    cmd = [sys.executable, "-m", "augment.cli", "run", *data, "--epochs", "1", "--seeds", "1"]
    cmd += ["--arms", "gan", "--json", "s.json", "--no-progress"]
    env = _env() | {"MLFLOW_TRACKING_URI": f"sqlite:///{root / 'mlflow.db'}", "HOME": str(cwd)}
    env["PREFECT_API_URL"] = prefect_api
    return subprocess.Popen(
        cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )


def _model_of(root: Path, kind: str, proc: subprocess.Popen) -> dict:
    """Wait for the run `_start_model` started: its run id and its logged generator's folder."""
    try:
        _, stderr = proc.communicate(timeout=600)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise RuntimeError(f"building the {kind} generator took over 600 s") from None
    if proc.returncode != 0:
        raise RuntimeError(
            f"building the {kind} generator failed (exit {proc.returncode}):\n{stderr[-3000:]}"
        )
    run_id = json.loads((root / kind / "s.json").read_text())["mlflow_run_id"]
    # the experiment's artifact folder is where its first run was made: search the whole root
    for spec in root.glob("*/mlruns/*/models/*/artifacts/MLmodel"):
        text = spec.read_text(encoding="utf-8")  # the run also logs its classifier: skip it
        if f"run_id: {run_id}" in text and "generator_meta" in text:
            return {"run_id": run_id, "model_dir": str(spec.parent)}
    raise RuntimeError(f"the {kind} generator of run {run_id} is not under {root}")
