"""Migrated empty SQLite databases kept in the user's cache and copied instead of made anew.

Used for Prefect's database (`flows.server_db`) and MLflow's tracking store
(`augment.tracking.store_template`): both run every schema migration when they make a new
database, seconds of CPU on every first run in a new folder. A template lives in
``$XDG_CACHE_HOME/augment`` (default ``~/.cache/augment``), one per library version. Nothing
here is ever required: a template that fails its ``sound`` check is removed and not used, and
any failure means the library makes its database as before.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

log = logging.getLogger("augment")


def template_path(package: str) -> Path | None:
    """Where ``package``'s empty database for its installed version is kept (None: unknown)."""
    try:
        installed = version(package)
    except PackageNotFoundError:
        return None
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    safe = "".join(c if c.isalnum() or c in ".-" else "_" for c in installed)
    return Path(cache) / "augment" / f"{package}-{safe}.db"


def sound(path: Path, empty: tuple[str, ...], head: str | None = None) -> bool:
    """An SQLite file that passes its integrity check, carries one migration stamp (``head``
    when given) and whose tables ``empty`` hold no row."""
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            ok = con.execute("PRAGMA quick_check").fetchone() == ("ok",)
            stamp = [r[0] for r in con.execute("SELECT version_num FROM alembic_version")]
            rows = sum(con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in empty)
        finally:
            con.close()
    except (sqlite3.Error, ValueError):  # ValueError: a damaged page's text is not UTF-8
        return False
    return ok and len(stamp) == 1 and (head is None or stamp == [head]) and rows == 0


def seed(template: Path | None, db: Path, sound: Callable[[Path], bool]) -> bool:
    """Copy ``template`` to ``db`` (which must not exist); True when ``db`` now holds it."""
    if template is None or db.exists() or not template.is_file():
        return False
    if not sound(template):
        log.info("a damaged database template was removed: %s", template)
        remove(template)
        return False
    partial = db.with_name(f".{db.name}.{os.getpid()}.tmp")
    try:
        backup(template, partial)
        os.link(partial, db)  # never over a database another process made meanwhile
        return True
    except (OSError, sqlite3.Error):
        return False
    finally:
        remove(partial)


def keep(
    db: Path,
    template: Path | None,
    sound: Callable[[Path], bool],
    clean: Callable[[sqlite3.Connection], None] | None = None,
) -> None:
    """Leave a copy of the new ``db`` as ``template`` (if none is kept yet); ``clean`` removes
    what must not be copied into every later database, before ``sound`` judges the copy."""
    if template is None or template.exists() or not db.is_file():
        return
    partial = template.with_name(f".{template.name}.{os.getpid()}.tmp")
    try:
        template.parent.mkdir(parents=True, exist_ok=True)
        backup(db, partial)
        if clean is not None:
            con = sqlite3.connect(partial)
            try:
                with con:
                    clean(con)
                con.execute("VACUUM")
            finally:
                con.close()
        if sound(partial):
            os.replace(partial, template)
    except (OSError, sqlite3.Error) as err:
        log.debug("no database template kept: %s", err)
    finally:
        remove(partial)


def remove(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError:
        pass  # its folder could not be made either: there is nothing to remove


def backup(source: Path, target: Path) -> None:
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
