"""Stores, servers, ports: a tracking store or server that cannot be used is refused at the start
of every command that uses it (exit 2, one line, in seconds, nothing created), a read writes
nothing beside the store, an unreachable Dask scheduler is caught before any run is opened, and
two first runs in one fresh folder both finish."""

from __future__ import annotations

import shutil
import socket
import sqlite3
import stat
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from _cli import augment_process
from _servers import answering

RUN = ["run", "--data", "builtin:wine", "--epochs", "1", "--seeds", "1", "--arms", "baseline"]
COMMANDS = {
    "run": RUN,
    "generate": ["generate", "runs:/0123456789abcdef0123456789abcdef/generator", "--n", "1"]
    + ["--out", "g.csv"],
    "compare": ["compare"],
    "ui": ["ui"],
}
FAST_S = 45  # a refused store is said in seconds (interpreter start included, on a busy box)


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    """A real MLflow SQLite store made by the installed MLflow, with the experiment "augment"."""
    from mlflow.tracking import MlflowClient

    db = tmp_path_factory.mktemp("store") / "mlflow.db"
    MlflowClient(f"sqlite:///{db}").create_experiment("augment")
    return db


def _commands(
    cwd: Path, uri: str, names=tuple(COMMANDS), prefect_api: str | None = None
) -> dict[str, tuple[int, str, float]]:
    """Each command in its own process, all at once, in ``cwd`` with tracking URI ``uri``
    (written to ``cwd/mlflow.yml``): name -> (exit code, stderr, seconds). ``prefect_api``: the
    session's Prefect server instead of each run's temporary one (the store is the subject)."""
    (cwd / "mlflow.yml").write_text(f"tracking_uri: '{uri}'\n")

    def one(name: str) -> tuple[int, str, float]:
        start = time.monotonic()
        done = augment_process(
            *COMMANDS[name], cwd=cwd, timeout=400, tracking_env=False, prefect_api=prefect_api
        )
        return done.returncode, done.stderr, time.monotonic() - start

    with ThreadPoolExecutor(len(names)) as pool:
        return dict(zip(names, pool.map(one, names), strict=True))


def _refused(results: dict[str, tuple[int, str, float]], *words: str) -> None:
    """Every command exited 2, in seconds, with one stderr line holding ``words``."""
    for name, (code, err, seconds) in results.items():
        lines = err.strip().splitlines()
        assert code == 2, (name, code, err[-2000:])
        assert len(lines) == 1 and lines[0].startswith("augment: error: "), (name, err[-2000:])
        for word in words:
            assert word in lines[0], (name, word, lines[0])
        assert seconds < FAST_S, (name, seconds)


def _listing(folder: Path) -> dict[str, bytes | None]:
    return {
        str(p.relative_to(folder)): p.read_bytes() if p.is_file() else None
        for p in sorted(folder.rglob("*"))
        if p.name not in ("mlflow.yml", "g.csv") and "home" not in p.relative_to(folder).parts
    }


def test_a_file_that_is_not_a_database_is_refused_by_every_command(tmp_path):
    # each run starts its temporary Prefect server, as a user's does: the refusal must discard
    # its state folder too (the other store refusals below use the session's server)
    db = tmp_path / "mlflow.db"
    db.write_text("experiment,run\nnot,a database\n")
    before = _listing(tmp_path)
    _refused(_commands(tmp_path, f"sqlite:///{db}"), str(db), "not an SQLite database")
    assert _listing(tmp_path) == before  # no lock file, no cache folder, no Prefect state


def _with_revision(store: Path, folder: Path, revision: str) -> Path:
    db = folder / "mlflow.db"
    shutil.copyfile(store, db)
    con = sqlite3.connect(db)
    with con:
        con.execute("UPDATE alembic_version SET version_num = ?", (revision,))
    con.close()
    return db


@pytest.mark.parametrize(
    ("revision", "said"),
    [("0123456789ab", "newer MLflow"), ("451aebb31d03", "mlflow db upgrade")],
    ids=["newer", "older"],
)
def test_a_store_of_another_mlflow_version_is_refused_and_not_migrated(
    store, tmp_path, revision, said, prefect_api
):
    db = _with_revision(store, tmp_path, revision)
    before = _listing(tmp_path)
    _refused(
        _commands(tmp_path, f"sqlite:///{db}", prefect_api=prefect_api), str(db), revision, said
    )
    assert _listing(tmp_path) == before  # not migrated, nothing beside it


def test_an_in_memory_store_is_refused_by_every_command(tmp_path, prefect_api):
    _refused(
        _commands(tmp_path, "sqlite:///:memory:", prefect_api=prefect_api),
        "sqlite:///:memory:",
        "in-memory",
    )
    assert _listing(tmp_path) == {}


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again when the socket is


def test_an_unreachable_server_is_refused_in_seconds_by_every_command(tmp_path, prefect_api):
    uri = f"http://127.0.0.1:{_closed_port()}"
    _refused(_commands(tmp_path, uri, prefect_api=prefect_api), uri, "connection refused")
    assert _listing(tmp_path) == {}


@pytest.mark.parametrize(("status", "said"), [(404, "404"), (None, "no answer within")])
def test_a_server_that_answers_404_or_never_is_refused_in_seconds(
    tmp_path, status, said, prefect_api
):
    with answering(status) as uri:
        _refused(_commands(tmp_path, uri, prefect_api=prefect_api), uri, said)
    assert _listing(tmp_path) == {}


def _read_only(path: Path) -> None:
    path.chmod(path.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))


def test_compare_reads_a_read_only_store_and_writes_nothing(store, tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    db = folder / "mlflow.db"
    shutil.copyfile(store, db)
    before = _listing(folder)
    _read_only(db)
    _read_only(folder)
    try:
        (tmp_path / "mlflow.yml").write_text(f"tracking_uri: 'sqlite:///{db}'\n")
        done = augment_process("compare", cwd=tmp_path, tracking_env=False, timeout=120)
        assert done.returncode == 0, done.stderr[-2000:]
        assert "no finished augment runs" in done.stdout
        assert _listing(folder) == before  # no mlflow.db.lock, no journal, not migrated
    finally:
        folder.chmod(0o755)


def test_run_refuses_a_read_only_store_at_start(store, tmp_path, prefect_api):
    db = tmp_path / "mlflow.db"
    shutil.copyfile(store, db)
    _read_only(db)
    before = _listing(tmp_path)
    _refused(
        _commands(tmp_path, f"sqlite:///{db}", names=("run",), prefect_api=prefect_api),
        str(db),
        "read-only",
    )
    assert _listing(tmp_path) == before


def test_a_run_makes_the_folder_of_a_new_sqlite_store(tmp_path, monkeypatch, prefect_harness):
    """``sqlite:///runs/new/mlflow.db`` where ``runs/`` does not exist yet: the start probe
    accepts it (the folder can be made) and the run makes it. It failed after the whole run,
    opening the store's lock file in the missing folder (found by the fuzzer's long profile,
    seed 20261212)."""
    from augment.cli import main

    db = tmp_path / "runs" / "new" / "mlflow.db"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{db}")
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "s.json"
    assert main([*RUN, "--no-progress", "--json", str(out)]) == 0
    assert db.is_file() and out.is_file()


def test_an_unreachable_dask_scheduler_is_caught_before_any_run(tmp_path, prefect_api):
    address = f"tcp://127.0.0.1:{_closed_port()}"
    start = time.monotonic()
    args = (*RUN, "--runner", "dask", "--dask-address", address)
    done = augment_process(*args, cwd=tmp_path, prefect_api=prefect_api)
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2, done.stderr[-2000:]
    assert len(lines) == 1 and address in lines[0] and "Dask scheduler" in lines[0], lines
    assert time.monotonic() - start < FAST_S
    assert not (tmp_path / "mlflow.db").exists()  # no MLflow run opened (nor a store)


def test_two_first_runs_in_one_fresh_folder_both_finish(tmp_path):
    """Both start the temporary Prefect server on one new database in the cache folder (and
    MLflow's store): their creation is serialised, so neither dies with 'the temporary Prefect
    API server exited'. (Servers alone, three at once, unlocked, failed 4 times in 4 with
    "Application startup failed"; this end-to-end case covers that race too.)"""
    with ThreadPoolExecutor(2) as pool:
        runs = list(pool.map(lambda _: augment_process(*RUN, cwd=tmp_path), range(2)))
    for done in runs:
        assert done.returncode == 0, done.stderr[-3000:]
    assert (tmp_path / ".augment" / "cache" / "prefect" / "prefect.db").is_file()


def test_a_refused_run_keeps_a_state_folder_another_live_run_uses(tmp_path):
    """Run A made the temporary server's state folder, run B (another process) started in it
    at the same moment; A's checks fail: A must not remove B's folder. A stale marker (a run
    killed with -9) does not keep it."""
    import subprocess
    import sys

    from flows.server import TemporaryAPI

    state = tmp_path / "cache" / "prefect"
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        api = TemporaryAPI(state)
        assert api._make_state_dir()
        (state / f".user-{other.pid}").touch()
        (state / "prefect.db").write_bytes(b"B's database")
        api.discard()
        assert (state / "prefect.db").read_bytes() == b"B's database"
    finally:
        other.kill()
        other.wait()
    api = TemporaryAPI(state)
    assert api._make_state_dir()
    api.created = tmp_path / "cache"  # as if this run had made it
    api.discard()  # B is gone: its marker is stale
    assert not (tmp_path / "cache").exists()


@pytest.mark.parametrize("uri", ["mlruns", "{tmp}/mlruns", "file://{tmp}/mlruns"])
def test_a_file_store_is_refused_at_start_unless_mlflow_is_told_to_allow_it(
    uri, tmp_path, monkeypatch, capsys
):
    """MLflow 3 refuses its file store (a folder of runs) unless MLFLOW_ALLOW_FILE_STORE=true:
    said at start, not after the run's work (found by the fuzzer's long profile)."""
    from augment.cli import main
    from augment.exceptions import ConfigError
    from augment.tracking import TrackingConfig
    from augment.tracking.probe import check_store

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MLFLOW_ALLOW_FILE_STORE", raising=False)
    uri = uri.format(tmp=tmp_path)
    for write in (True, False):
        with pytest.raises(ConfigError, match="file store.*MLFLOW_ALLOW_FILE_STORE"):
            check_store(TrackingConfig(tracking_uri=uri), write=write)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    assert main([*RUN, "--json", "out.json"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "sqlite:///" in err[0] and uri in err[0], err
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no mlruns, no cache, no JSON
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    check_store(TrackingConfig(tracking_uri=uri), write=True)  # the user's choice: allowed
