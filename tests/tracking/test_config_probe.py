"""`augment.tracking.config` and `.probe`, against real files, folders and a closed port."""

from __future__ import annotations

import os

import pytest
from _servers import answering

from augment.exceptions import ConfigError
from augment.tracking.config import load_tracking_config
from augment.tracking.probe import check_reachable


def test_local_mlflow_yml_then_env_override(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    assert load_tracking_config().experiment == "augment"  # the packaged default
    (tmp_path / "mlflow.yml").write_text("experiment: mine\ntags: {team: x}\n")
    cfg = load_tracking_config()
    # a relative store is resolved once, against the working directory, to an absolute path
    assert (cfg.experiment, cfg.tags, cfg.tracking_uri) == (
        "mine",
        {"team": "x"},
        f"sqlite:///{tmp_path.resolve() / 'mlflow.db'}",
    )
    assert cfg.source == str((tmp_path / "mlflow.yml").resolve())
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "sqlite:///elsewhere.db")
    env = load_tracking_config()
    assert env.tracking_uri == f"sqlite:///{tmp_path.resolve() / 'elsewhere.db'}"
    assert env.source == "MLFLOW_TRACKING_URI"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:5000")
    assert load_tracking_config().tracking_uri == "http://127.0.0.1:5000"  # servers as given


def test_read_commands_never_create_a_store(tmp_path, monkeypatch):
    from augment.cli import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    for argv in (["compare"], ["generate", "runs:/abc/generator", "--n", "1", "--out", "g.csv"]):
        assert main(argv) == 2
    assert list(tmp_path.iterdir()) == []  # no empty mlflow.db left behind


def test_unknown_key_and_missing_file_are_config_errors(tmp_path):
    bad = tmp_path / "t.yml"
    bad.write_text("experimnt: x\n")
    with pytest.raises(ConfigError, match=r"unknown key\(s\) \['experimnt'\]"):
        load_tracking_config(bad)
    with pytest.raises(ConfigError, match="does not exist"):
        load_tracking_config(tmp_path / "nope.yml")


def _tracking_keys() -> list[str]:
    from dataclasses import fields

    from augment.tracking.config import TrackingConfig

    return [f.name for f in fields(TrackingConfig) if f.name not in ("source", "tracking_uri")]


@pytest.mark.parametrize("key", _tracking_keys())
@pytest.mark.parametrize("value", [5, True, [1], {"a": [1]}, 2**64, " "])
def test_every_mlflow_yml_key_of_the_wrong_type_is_a_config_error(tmp_path, key, value):
    """Each key of mlflow.yml (read from the dataclass: a key added later is covered) refuses
    a value of another type, naming the key; it never reaches MLflow as a name."""
    import yaml

    if key == "tags" and isinstance(value, dict):
        value = {"a": [1]}  # a nested value: not a flat mapping
    path = tmp_path / "mlflow.yml"
    path.write_text(yaml.safe_dump({"tracking_uri": "sqlite:///x.db", key: value}))
    with pytest.raises(ConfigError, match=rf"mlflow.yml: {key} must be"):
        load_tracking_config(path)


def test_null_is_the_default_and_an_empty_optional_name_is_off(tmp_path):
    path = tmp_path / "mlflow.yml"
    path.write_text("experiment: null\nregistered_model: ''\ntags: {team: 7}\n")
    cfg = load_tracking_config(path)
    assert (cfg.experiment, cfg.registered_model, cfg.tags) == ("augment", None, {"team": "7"})


def test_probe_checks_a_sqlite_folder_without_creating_anything(tmp_path):
    cfg = load_tracking_config()
    from dataclasses import replace

    check_reachable(replace(cfg, tracking_uri=f"sqlite:///{tmp_path}/new/sub/m.db"))
    assert os.listdir(tmp_path) == []  # nothing created by the probe
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(ConfigError, match="is not writable"):
        check_reachable(replace(cfg, tracking_uri=f"sqlite:///{blocker}/m.db"))


def test_probe_of_a_closed_port_fails_fast(tmp_path):
    from dataclasses import replace

    cfg = replace(load_tracking_config(), tracking_uri="http://127.0.0.1:9")
    with pytest.raises(ConfigError, match="unreachable \\(connection refused\\)"):
        check_reachable(cfg, timeout_s=2)


@pytest.fixture(scope="module")
def real_store(tmp_path_factory):
    """A store made by the installed MLflow (its tables at its head schema revision)."""
    from mlflow.tracking import MlflowClient

    db = tmp_path_factory.mktemp("real") / "mlflow.db"
    MlflowClient(f"sqlite:///{db}").create_experiment("augment")
    return db


def _cfg(uri: str):
    from dataclasses import replace

    return replace(load_tracking_config(), tracking_uri=uri)


def _snapshot(folder):
    return {p.name: p.read_bytes() for p in folder.iterdir()}


def test_check_store_passes_a_real_store_for_reads_and_writes_and_touches_nothing(
    real_store, tmp_path
):
    import shutil

    from augment.tracking.probe import check_store

    db = tmp_path / "dir with space %41" / "mlflow.db"
    db.parent.mkdir()
    shutil.copyfile(real_store, db)
    before = _snapshot(db.parent)
    for write in (False, True):
        check_store(_cfg(f"sqlite:///{db}"), write=write)
    assert _snapshot(db.parent) == before  # no lock, no journal, not migrated


@pytest.mark.parametrize("write", [False, True])
def test_check_store_refuses_files_that_are_not_mlflow_stores(tmp_path, write):
    import sqlite3

    from augment.tracking.probe import check_store

    text = tmp_path / "text.db"
    text.write_text("a,b\n1,2\n")
    with pytest.raises(ConfigError, match=rf"{text} is not an SQLite database"):
        check_store(_cfg(f"sqlite:///{text}"), write=write)
    other = tmp_path / "other.db"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE notes (x)")
    con.close()
    with pytest.raises(ConfigError, match=rf"{other} is an SQLite database but not an MLflow"):
        check_store(_cfg(f"sqlite:///{other}"), write=write)
    folder = tmp_path / "folder.db"
    folder.mkdir()
    with pytest.raises(ConfigError, match="is not a file"):
        check_store(_cfg(f"sqlite:///{folder}"), write=write)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["folder.db", "other.db", "text.db"]


def test_an_empty_or_missing_file_is_a_store_to_create_for_writes_only(tmp_path):
    from augment.tracking.probe import check_store

    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    check_store(_cfg(f"sqlite:///{empty}"), write=True)
    with pytest.raises(ConfigError, match="is empty"):
        check_store(_cfg(f"sqlite:///{empty}"), write=False)
    with pytest.raises(ConfigError, match="no tracking store at"):
        check_store(_cfg(f"sqlite:///{tmp_path / 'none.db'}"), write=False)
    assert [p.name for p in tmp_path.iterdir()] == ["empty.db"]


@pytest.mark.parametrize(
    ("revision", "said"),
    [("0123456789ab", "newer MLflow"), ("451aebb31d03", "older MLflow.*mlflow db upgrade")],
)
def test_check_store_names_a_schema_of_another_mlflow(real_store, tmp_path, revision, said):
    import shutil
    import sqlite3

    from augment.tracking.probe import _schema_revisions, check_store

    head, known = _schema_revisions()
    assert head is not None and "451aebb31d03" in known and revision != head
    db = tmp_path / "mlflow.db"
    shutil.copyfile(real_store, db)
    con = sqlite3.connect(db)
    with con:
        con.execute("UPDATE alembic_version SET version_num = ?", (revision,))
    con.close()
    before = _snapshot(tmp_path)
    for write in (False, True):
        with pytest.raises(ConfigError, match=rf"schema {revision}.*{head}|{said}") as err:
            check_store(_cfg(f"sqlite:///{db}"), write=write)
        assert str(db) in str(err.value) and revision in str(err.value)
    assert _snapshot(tmp_path) == before  # read, never migrated


def test_the_head_revision_is_the_one_mlflow_itself_expects():
    from mlflow.store.db.utils import _get_latest_schema_revision

    from augment.tracking.probe import _schema_revisions

    assert _schema_revisions()[0] == _get_latest_schema_revision()


@pytest.mark.parametrize(
    "uri", ["sqlite:///:memory:", "sqlite://", "sqlite:///file:x?mode=memory&cache=shared&uri=true"]
)
def test_an_in_memory_store_is_refused(uri):
    from augment.tracking.probe import check_store

    for write in (False, True):
        with pytest.raises(ConfigError, match="in-memory store"):
            check_store(_cfg(uri), write=write)


def test_a_read_only_store_is_refused_for_writes_and_read_for_reads(real_store, tmp_path):
    import shutil

    from augment.tracking.probe import check_store

    db = tmp_path / "mlflow.db"
    shutil.copyfile(real_store, db)
    db.chmod(0o444)
    check_store(_cfg(f"sqlite:///{db}"), write=False)
    with pytest.raises(ConfigError, match=rf"{db} is read-only \({db} is not writable\)"):
        check_store(_cfg(f"sqlite:///{db}"), write=True)
    db.chmod(0o644)
    tmp_path.chmod(0o555)  # the lock file and SQLite's journal are made beside the store
    try:
        with pytest.raises(ConfigError, match=rf"read-only \({tmp_path} is not writable\)"):
            check_store(_cfg(f"sqlite:///{db}"), write=True)
    finally:
        tmp_path.chmod(0o755)


def test_reads_open_sqlite_read_only(real_store, tmp_path, monkeypatch):
    import shutil

    from mlflow.tracking import MlflowClient

    from augment.tracking.config import read_only_uri

    monkeypatch.chdir(tmp_path)
    db = tmp_path / "a b%2F" / "mlflow.db"
    db.parent.mkdir()
    shutil.copyfile(real_store, db)
    before = _snapshot(db.parent)
    client = MlflowClient(read_only_uri(f"sqlite:///{db}"))
    assert client.get_experiment_by_name("augment") is not None
    with pytest.raises(Exception, match="readonly"):
        client.create_experiment("written")
    assert _snapshot(db.parent) == before
    assert [p.name for p in tmp_path.iterdir()] == ["a b%2F"]  # no folder "file:" made here
    assert read_only_uri("http://127.0.0.1:5000") == "http://127.0.0.1:5000"


@pytest.mark.parametrize(
    ("status", "said"),
    [
        (404, r"is not an MLflow tracking server \(it answers HTTP 404\); check the URL"),
        (401, r"is refusing this client \(HTTP 401\); set MLFLOW_TRACKING_TOKEN"),
        (None, r"is unreachable \(no answer within 1 s\)"),
    ],
)
def test_a_server_probe_says_what_answered_in_one_short_try(status, said):
    """A plain request first (no MLflow import), then, for an answer that may be MLflow's
    behind authentication, one request of MLflow's client: never a retry."""
    import time

    import mlflow.tracking  # noqa: F401 (imported before the clock starts)

    from augment.tracking.probe import check_store

    seen: list[str] = []
    with answering(status, seen) as uri:
        start = time.monotonic()
        with pytest.raises(ConfigError, match=said):
            check_store(_cfg(uri), write=False, timeout_s=1)
        assert time.monotonic() - start < 4
        assert len(seen) == (2 if status == 401 else 1)  # no retries


def test_the_probe_waits_for_another_runs_migration_under_the_store_lock(real_store, tmp_path):
    """A run that starts while another one migrates the store (holding ``<db>.lock``, as
    `augment.tracking.log` does) sees the finished store, not a half-made one."""
    import fcntl
    import shutil
    import sqlite3
    import threading

    from augment.tracking.probe import _schema_revisions, check_store

    db = tmp_path / "mlflow.db"
    shutil.copyfile(real_store, db)
    con = sqlite3.connect(db)
    with con:  # mid-migration: an older revision
        con.execute("UPDATE alembic_version SET version_num = '451aebb31d03'")
    outcome = []
    with open(tmp_path / "mlflow.db.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        probe = threading.Thread(
            target=lambda: outcome.append(check_store(_cfg(f"sqlite:///{db}"), write=True))
        )
        probe.start()
        probe.join(1.0)
        assert probe.is_alive()  # waiting for the lock
        with con:  # the migration ends
            con.execute("UPDATE alembic_version SET version_num = ?", (_schema_revisions()[0],))
        fcntl.flock(lock, fcntl.LOCK_UN)
    con.close()
    probe.join(10)
    assert outcome == [None]  # passed: it judged the migrated store


def test_the_probe_waits_for_a_store_another_mlflow_client_is_creating(real_store, tmp_path):
    """An MLflow client that is not a run (a first ``mlflow ui``, a script's MlflowClient)
    creates a new store without our lock: its tables exist before alembic has written the
    schema revision. The probe waits for the revision instead of naming the store a newer
    MLflow's; a revision that never comes is named as a store whose creation stopped."""
    import shutil
    import sqlite3
    import threading

    from augment.tracking.probe import _schema_revisions, check_store

    db = tmp_path / "mlflow.db"
    shutil.copyfile(real_store, db)
    con = sqlite3.connect(db)
    with con:  # being created: the version table is there, its row not yet
        con.execute("DELETE FROM alembic_version")
    outcome = []
    probe = threading.Thread(
        target=lambda: outcome.append(check_store(_cfg(f"sqlite:///{db}"), write=True))
    )
    probe.start()
    probe.join(1.0)
    assert probe.is_alive()  # waiting for the revision
    with con:
        con.execute("INSERT INTO alembic_version VALUES (?)", (_schema_revisions()[0],))
    con.close()
    probe.join(10)
    assert outcome == [None]

    stopped = tmp_path / "stopped.db"
    shutil.copyfile(real_store, stopped)
    con = sqlite3.connect(stopped)
    with con:
        con.execute("DELETE FROM alembic_version")
    con.close()
    with pytest.raises(ConfigError, match=rf"{stopped} .*no schema revision") as err:
        check_store(_cfg(f"sqlite:///{stopped}"), write=True)
    assert "newer MLflow" not in str(err.value)
