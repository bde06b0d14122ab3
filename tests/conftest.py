"""Shared fixtures: hermetic MLflow per test, one Prefect test server per session."""

from __future__ import annotations

import os
import tempfile

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")  # as the CLI: parallel tasks, one thread each
# Prefect's ephemeral API server (a flow called without one) gets 20 s to answer by default;
# on a loaded 2-core machine it needs more (issue 30): tests and their subprocesses wait longer
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "300")
# one user cache for the session, whatever HOME a test's process gets: the migrated empty Prefect
# database (flows/server_db.py) and matplotlib's font list are made once, as for a user, not
# in every test's fresh HOME
os.environ.setdefault(
    "XDG_CACHE_HOME",
    os.path.join(tempfile.gettempdir(), f"augment-tests-cache-{os.getuid()}"),
)

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _environment_restored():
    """Every test leaves ``os.environ`` as it found it. The CLI called in-process sets defaults
    for its process (e.g. ``PREFECT_LOGGING_LEVEL=WARNING``, MLflow exports its tracking URI):
    left behind, they reached the processes a later test in the same worker started (a Prefect
    worker then dropped the flow run's INFO lines that test reads)."""
    saved = dict(os.environ)
    yield
    if dict(os.environ) != saved:
        os.environ.clear()
        os.environ.update(saved)


@pytest.fixture
def one_thread():
    """torch on one thread for the test: as the subprocesses and the CLI (float sums comparable
    bit for bit), and far faster than default threads on a busy 2-core box."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


# the one Prefect server of an xdist run (`pytest_configure` of the controller) for every worker
SHARED_API = "AUGMENT_TESTS_PREFECT_API"


def pytest_configure(config):
    """xdist's controller starts the session's Prefect server, for all its workers: it boots
    while they start and collect, and stops when the run ends (``pytest_unconfigure``). One
    server instead of one per worker: ~4 CPU s of start-up and its idle loops less per worker."""
    if hasattr(config, "workerinput") or not getattr(config.option, "numprocesses", None):
        return
    from flows.server import TemporaryAPI

    state = tempfile.mkdtemp(prefix="augment-tests-prefect-")
    api = TemporaryAPI(state).start()
    config._augment_prefect = (api, state)
    # the workers are started after this, with this environment
    os.environ[SHARED_API] = f"http://127.0.0.1:{api.port}/api"


def pytest_unconfigure(config):
    started = getattr(config, "_augment_prefect", None)
    if started is not None:
        import shutil

        api, state = started
        api.stop()
        shutil.rmtree(state, ignore_errors=True)
        os.environ.pop(SHARED_API, None)


@pytest.fixture(scope="session")
def prefect_api(tmp_path_factory):
    """One real Prefect API server for the test session: under xdist the controller's (see
    `pytest_configure`), else one started on first use. It is the CLI's own temporary server
    (`flows.server.TemporaryAPI`), whose database is a copy of the migrated empty one in the
    user cache, as for a user's second run (Prefect's `prefect_test_harness` migrates a new
    database every session: ~8 CPU s per worker).
    Its URL, for the tests' own processes that are not about the temporary server itself."""
    shared = os.environ.get(SHARED_API)
    if shared:
        yield _answering(shared)
        return
    from flows.server import TemporaryAPI

    api = TemporaryAPI(tmp_path_factory.mktemp("prefect-api")).start()
    try:
        yield api.url(timeout_s=300)
    finally:
        api.stop()


def _answering(url: str, timeout_s: float = 300) -> str:
    """``url`` once its health check answers (the controller's server may still be booting)."""
    import time
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as r:
                if r.status == 200:
                    return url
        except (urllib.error.URLError, OSError):
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"the session's Prefect server {url}: no answer in {timeout_s} s")
        time.sleep(0.2)


@pytest.fixture(scope="session")
def prefect_harness(prefect_api):
    """Prefect in this process points at `prefect_api` for the whole session, as
    `prefect.testing.utilities.prefect_test_harness` does (the setting, and the process-global
    settings context that threads started elsewhere read)."""
    import prefect.context
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from flows.server import _drain

    with temporary_settings(updates={PREFECT_API_URL: prefect_api}):
        current = prefect.context.get_settings_context()
        with prefect.context._temporary_global_settings_context(current):
            try:
                yield
            finally:
                _drain()  # queued logs and events go before the server stops


@pytest.fixture
def mlflow_tmp(tmp_path, monkeypatch):
    """Point MLflow at a fresh SQLite file in a tmp dir and run the test from there."""
    monkeypatch.chdir(tmp_path)
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    return uri


@pytest.fixture
def wine_splits():
    """The built-in wine table split 70/30 with its demo imbalance (train classes cut to 20%)."""
    from augment import load_dataset
    from augment.data import make_splits

    return make_splits(load_dataset("builtin:wine"), 0.3, 0, None, 0.2)


@pytest.fixture
def mixed_csv(tmp_path):
    """A small CSV with numeric, integer, string and boolean columns and a string label."""
    rng = np.random.default_rng(0)
    n = 120
    y = np.where(rng.random(n) < 0.75, "common", "rare")
    df = pd.DataFrame(
        {
            "age": rng.integers(18, 80, n),
            "income": rng.normal(50, 10, n) + (y == "rare") * 15,
            "city": rng.choice(["Lyon", "Paris", "Nice"], n),
            "member": rng.random(n) < 0.5,
            "outcome": y,
        }
    )
    path = tmp_path / "mixed.csv"
    df.to_csv(path, index=False)
    return path
