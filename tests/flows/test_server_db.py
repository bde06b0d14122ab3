"""A new project's Prefect database starts from the user's migrated empty copy: kept once, only
when sound and empty of runs; a damaged copy is removed and never used; never written over a
database that exists."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from flows import server_db


def _database(path: Path, runs: int = 0) -> Path:
    """A stand-in for a migrated Prefect database: its stamp, a flow_run table, WAL mode."""
    con = sqlite3.connect(path)
    with con:
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("CREATE TABLE alembic_version (version_num TEXT)")
        con.execute("INSERT INTO alembic_version VALUES ('3c841a1800a1')")
        con.execute("CREATE TABLE flow_run (id TEXT)")
        con.executemany("INSERT INTO flow_run VALUES (?)", [(str(i),) for i in range(runs)])
    con.close()
    return path


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache" / "augment"


def test_a_new_database_is_kept_and_a_later_project_starts_from_it(tmp_path, cache):
    first = _database(tmp_path / "first.db")
    server_db.keep(first)
    template = server_db.template_path()
    assert template.parent == cache and template.is_file()
    assert [p.name for p in cache.iterdir()] == [template.name]  # one file: no -wal, no partial
    db = tmp_path / "project" / "prefect.db"
    db.parent.mkdir()
    assert server_db.seed(db)
    con = sqlite3.connect(db)
    assert con.execute("SELECT version_num FROM alembic_version").fetchall() == [("3c841a1800a1",)]
    con.close()
    assert sorted(p.name for p in db.parent.iterdir()) == ["prefect.db"]  # no partial file left


def test_an_existing_database_is_never_replaced(tmp_path, cache):
    server_db.keep(_database(tmp_path / "first.db"))
    db = tmp_path / "prefect.db"
    db.write_bytes(b"a project's own database")
    assert not server_db.seed(db)
    assert db.read_bytes() == b"a project's own database"


def test_a_template_taken_after_a_flow_run_began_is_not_kept(tmp_path, cache):
    server_db.keep(_database(tmp_path / "busy.db", runs=1))
    assert not server_db.template_path().exists()
    assert list(cache.iterdir()) == []  # nor a partial copy


@pytest.mark.parametrize("damage", ["flipped", "cut", "not sqlite", "no stamp"])
def test_a_damaged_template_is_removed_and_not_used(tmp_path, cache, damage):
    server_db.keep(_database(tmp_path / "first.db"))
    template = server_db.template_path()
    data = bytearray(template.read_bytes())
    if damage == "flipped":
        for i in range(4096, len(data), 997):  # every page after the header
            data[i] ^= 0xFF
        template.write_bytes(bytes(data))
    elif damage == "cut":
        template.write_bytes(bytes(data[: len(data) // 3]))
    elif damage == "not sqlite":
        template.write_text("import os; os.system('echo owned')\n")
    else:
        con = sqlite3.connect(template)
        with con:
            con.execute("DELETE FROM alembic_version")
        con.close()
    db = tmp_path / "prefect.db"
    assert not server_db.seed(db)
    assert not db.exists() and not template.exists()


def test_no_template_is_kept_where_the_cache_cannot_be_written(tmp_path, monkeypatch):
    blocked = tmp_path / "file"
    blocked.write_text("a file where the cache folder would go")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    server_db.keep(_database(tmp_path / "first.db"))  # no error: the server makes its own
    assert not server_db.seed(tmp_path / "prefect.db")
