"""A new project's Prefect database, copied from a migrated empty one instead of made anew.

Creating the temporary server's SQLite database runs every Prefect migration and registers
every block type: most of a first run's server start (about 12 of 20 s on a busy 2-core box).
The first server that makes one leaves a copy (taken when the run first asks for the server,
before it uses it: migrated, blocks registered, no flow run yet) in the user's cache, one per
Prefect version (`augment.dbtemplate`); a later first run in another folder starts from that
copy. A copy that is not a sound SQLite database of that version is removed and not used.
"""

from __future__ import annotations

from pathlib import Path

from augment import dbtemplate


def template_path() -> Path | None:
    """Where this Prefect version's empty database is kept (None: no version known)."""
    return dbtemplate.template_path("prefect")


def _sound(path: Path) -> bool:
    """A sound SQLite file with Prefect's migration stamp and no flow run (a template taken a
    moment too late would carry one into every project)."""
    return dbtemplate.sound(path, empty=("flow_run",))


def seed(db: Path) -> bool:
    """Copy the template to ``db`` (which must not exist); True when ``db`` now holds it."""
    return dbtemplate.seed(template_path(), db, _sound)


def keep(db: Path) -> None:
    """Leave a copy of the new, just-migrated ``db`` as the template (if none is kept yet)."""
    dbtemplate.keep(db, template_path(), _sound)
