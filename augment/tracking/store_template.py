"""A new SQLite tracking store, copied from a migrated empty one instead of made anew.

MLflow makes a new SQLite store by running every one of its schema migrations: about 2 CPU
seconds of every first run in a new folder. The first run that makes one leaves a copy
(migrated, no experiment, no run) in the user's cache, one per MLflow version
(`augment.dbtemplate`); a later first run starts from that copy, and MLflow adds its
``Default`` experiment (whose artifact folder depends on where the run is) as it does in a store
it made. A copy that is not a sound SQLite database at the installed MLflow's schema head, or
that holds any experiment, run or model, is removed and not used. Both are called under the
store's lock (`augment.tracking.log`): no other run creates the same store meanwhile.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from augment import dbtemplate


def template_path() -> Path | None:
    """Where this MLflow version's empty store is kept (None: no version known)."""
    return dbtemplate.template_path("mlflow")


def _sound(path: Path) -> bool:
    """A sound SQLite file stamped with the installed MLflow's schema head, holding no
    experiment, run or registered model (no head known: never sound)."""
    from augment.tracking.probe import _schema_revisions

    head = _schema_revisions()[0]
    empty = ("experiments", "runs", "registered_models")
    return head is not None and dbtemplate.sound(path, empty=empty, head=head)


def _without_experiments(con: sqlite3.Connection) -> None:
    con.execute("DELETE FROM experiment_tags")
    con.execute("DELETE FROM experiments")


def seed(db: Path) -> bool:
    """Copy the template to ``db`` (which must not exist); True when ``db`` now holds it."""
    return dbtemplate.seed(template_path(), db, _sound)


def keep(db: Path) -> None:
    """Leave a copy of the new store ``db`` as the template (if none is kept yet), without the
    experiment MLflow created in it."""
    dbtemplate.keep(db, template_path(), _sound, _without_experiments)
