"""A new project's Prefect database, copied from a migrated empty one instead of made anew.

Creating the temporary server's SQLite database runs every Prefect migration and registers
every block type: most of a first run's server start (about 12 of 20 s on a busy 2-core box).
The first server that makes one leaves a copy (taken when the run first asks for the server,
before it uses it: migrated, blocks registered, no flow run yet) in the user's cache
(``$XDG_CACHE_HOME/augment``, default ``~/.cache/augment``), one per Prefect version; a later
first run in another folder starts from that copy. A copy that is not a sound SQLite database
of that version is removed and not used; nothing here is ever required: any failure means the
server makes its database as before.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

log = logging.getLogger("augment.prefect")


def template_path() -> Path | None:
    """Where this Prefect version's empty database is kept (None: no version known)."""
    try:
        prefect = version("prefect")
    except PackageNotFoundError:
        return None
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    safe = "".join(c if c.isalnum() or c in ".-" else "_" for c in prefect)
    return Path(cache) / "augment" / f"prefect-{safe}.db"


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
    except sqlite3.Error:
        return False
    return ok and len(stamp) == 1 and runs == 0


def seed(db: Path) -> bool:
    """Copy the template to ``db`` (which must not exist); True when ``db`` now holds it."""
    template = template_path()
    if template is None or db.exists() or not template.is_file():
        return False
    if not _sound(template):
        log.info("a damaged Prefect database template was removed: %s", template)
        template.unlink(missing_ok=True)
        return False
    partial = db.with_name(f".{db.name}.{os.getpid()}.tmp")
    try:
        _backup(template, partial)
        os.link(partial, db)  # never over a database another run made meanwhile
        return True
    except (OSError, sqlite3.Error):
        return False
    finally:
        _remove(partial)


def keep(db: Path) -> None:
    """Leave a copy of the new, just-migrated ``db`` as the template (if none is kept yet)."""
    template = template_path()
    if template is None or template.exists() or not db.is_file():
        return
    partial = template.with_name(f".{template.name}.{os.getpid()}.tmp")
    try:
        template.parent.mkdir(parents=True, exist_ok=True)
        _backup(db, partial)
        if _sound(partial):
            os.replace(partial, template)
    except (OSError, sqlite3.Error) as err:
        log.debug("no Prefect database template kept: %s", err)
    finally:
        _remove(partial)


def _remove(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError:
        pass  # its folder could not be made either: there is nothing to remove


def _backup(source: Path, target: Path) -> None:
    """A consistent copy of a (possibly live, WAL-mode) SQLite database, as one file."""
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal
        finally:
            dst.close()
    finally:
        src.close()
