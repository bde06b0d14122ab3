"""A new SQLite tracking store starts from the user's migrated empty copy: kept once, without
the experiment MLflow made in it; MLflow then makes its Default experiment where the new store
is; a copy that is damaged, of another schema, or holds an experiment is removed, never used."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from augment.tracking import store_template
from augment.tracking.config import TrackingConfig
from augment.tracking.log import Tracker


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache" / "augment"


def _tracker(folder: Path, monkeypatch) -> Tracker:
    folder.mkdir(parents=True, exist_ok=True)
    monkeypatch.chdir(folder)
    return Tracker(TrackingConfig(tracking_uri=f"sqlite:///{folder / 'mlflow.db'}"))


def _experiments(tracker: Tracker) -> dict[str, str]:
    return {e.name: e.artifact_location for e in tracker.client.search_experiments()}


def test_the_first_new_store_is_kept_and_a_later_one_starts_from_it(tmp_path, cache, monkeypatch):
    first = _tracker(tmp_path / "a", monkeypatch)
    template = store_template.template_path()
    assert [p.name for p in cache.iterdir()] == [template.name]  # one file, no partial
    con = sqlite3.connect(template)
    assert con.execute("SELECT count(*) FROM experiments").fetchone() == (0,)
    con.close()
    first.experiment_id()
    made = template.stat().st_mtime_ns
    second = _tracker(tmp_path / "b", monkeypatch)
    assert template.stat().st_mtime_ns == made  # used, not made again
    exp = second.experiment_id()
    run = second.client.create_run(exp)
    second.client.log_metric(run.info.run_id, "m", 1.0)
    assert second.client.get_run(run.info.run_id).data.metrics == {"m": 1.0}
    # MLflow's Default experiment is the new store's own, not the first one's
    assert _experiments(second)["Default"] == str(tmp_path / "b" / "mlruns" / "0")
    assert _experiments(first)["Default"] == str(tmp_path / "a" / "mlruns" / "0")
    assert sorted(p.name for p in (tmp_path / "b").iterdir()) == ["mlflow.db", "mlflow.db.lock"]


@pytest.mark.parametrize("damage", ["flipped", "not sqlite", "other schema", "an experiment"])
def test_a_bad_template_is_removed_and_mlflow_makes_the_store(tmp_path, cache, monkeypatch, damage):
    _tracker(tmp_path / "a", monkeypatch)
    template = store_template.template_path()
    if damage == "flipped":
        data = bytearray(template.read_bytes())
        for i in range(4096, len(data), 997):
            data[i] ^= 0xFF
        template.write_bytes(bytes(data))
    elif damage == "not sqlite":
        template.write_text("import os; os.system('echo owned')\n")
    else:
        con = sqlite3.connect(template)
        with con:
            if damage == "other schema":
                con.execute("UPDATE alembic_version SET version_num = '0123456789ab'")
            else:
                con.execute(
                    "INSERT INTO experiments (experiment_id, name, lifecycle_stage, workspace)"
                    " VALUES (7, 'someone else''s', 'active', 'default')"
                )
        con.close()
    db = tmp_path / "b" / "mlflow.db"
    db.parent.mkdir()
    assert not store_template.seed(db)
    assert not db.exists()
    tracker = _tracker(tmp_path / "b", monkeypatch)  # made by MLflow, kept as the new template
    assert set(_experiments(tracker)) == {"Default"}
    assert store_template.template_path().is_file()


def test_a_store_that_exists_is_never_replaced(tmp_path, cache, monkeypatch):
    _tracker(tmp_path / "a", monkeypatch)
    db = tmp_path / "mlflow.db"
    db.write_bytes(b"a user's own file")
    assert not store_template.seed(db)
    assert db.read_bytes() == b"a user's own file"
