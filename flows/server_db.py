"""A new project's Prefect database, copied from a migrated empty one instead of made anew.

Creating the temporary server's SQLite database runs every Prefect migration and registers
every block type: most of a first run's server start (about 12 of 20 s on a busy 2-core box).
The first server that makes one leaves a copy (taken when the run first asks for the server,
before it uses it: migrated, blocks registered, no flow run yet) in the user's cache, one per
Prefect version (`augment.dbtemplate`); a later first run in another folder starts from that
copy. A copy that is not a sound SQLite database of that version is removed and not used.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from augment import dbtemplate


def template_path() -> Path | None:
    """Where this Prefect version's empty database is kept (None: no version known)."""
    return dbtemplate.template_path("prefect")


def _sound(path: Path) -> bool:
    """An SQLite file that passes its integrity check, carries Prefect's migration stamp and
    holds no flow run (a template taken a moment too late would carry one into every project)."""
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            ok = con.execute("PRAGMA quick_check").fetchone() == ("ok",)
            stamp = con.execute("SELECT version_num FROM alembic_version").fetchall()
            runs = con.execute("SELECT count(*) FROM flow_run").fetchone()[0]
        finally:
            con.close()
    except (sqlite3.Error, ValueError):  # ValueError: a damaged page's text is not UTF-8
        return False
    return ok and len(stamp) == 1 and runs == 0


def seed(db: Path) -> bool:
    """Copy the template to ``db`` (which must not exist); True when ``db`` now holds it."""
    return dbtemplate.seed(template_path(), db, _sound)


def keep(db: Path) -> None:
    """Leave a copy of the new, just-migrated ``db`` as the template (if none is kept yet)."""
    dbtemplate.keep(db, template_path(), _sound)
