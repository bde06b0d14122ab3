"""Can the tracking store be used? Answered in seconds, before any work, without retries.

`check_store` is what every command that uses the store calls first (``run`` to write it;
``generate``, ``compare`` and ``ui`` to read it). It never creates anything: no store, no lock
file, no folder. A SQLite file is opened read-only (``mode=ro``) to look at its tables and
schema version; MLflow is never let near it here, so it cannot create or migrate it.
"""

from __future__ import annotations

import os
import re
import sqlite3
import stat
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from importlib.util import find_spec
from pathlib import Path

from augment.environ import environ
from augment.exceptions import ConfigError
from augment.tracking.config import TrackingConfig, require_store, sqlite_target

FIX = "set MLFLOW_TRACKING_URI or tracking_uri in mlflow.yml to a usable store"
MIGRATION_WAIT_S = 60  # the longest the probe waits for another run's store migration


def check_store(cfg: TrackingConfig, write: bool, timeout_s: int = 5) -> None:
    """Raise `ConfigError` (one line naming the store) unless ``cfg``'s store can be used.

    ``write``: the command writes runs (``augment run``); otherwise it only reads them and the
    store must already exist. SQLite stores must be an SQLite file holding MLflow's tables at
    the installed MLflow's schema version (and be writable for ``write``); ``:memory:`` is
    refused (each connection sees its own empty database). Servers get one request with no
    retries and a ``timeout_s`` timeout: the MLflow client would otherwise retry 7 times with
    exponential backoff, about 4 minutes.
    """
    uri = cfg.tracking_uri
    scheme = uri.split(":", 1)[0].lower() if "://" in uri else ""
    if scheme == "sqlite":
        _check_sqlite(cfg, write)
    elif scheme in ("", "file"):
        _check_file_store(cfg, write)
    else:
        _check_server(uri, timeout_s)


def check_reachable(cfg: TrackingConfig, timeout_s: int = 5) -> None:
    """`check_store` for a command that writes runs (the flow's preflight, the suite)."""
    check_store(cfg, write=True, timeout_s=timeout_s)


def _check_sqlite(cfg: TrackingConfig, write: bool) -> None:
    uri = cfg.tracking_uri
    path = sqlite_target(uri)
    if path is None:
        raise ConfigError(
            f"MLflow tracking URI {uri} is an in-memory store: each connection (the run's"
            f" threads, a later `augment compare`) sees its own empty database; {FIX}, e.g."
            " sqlite:///mlflow.db"
        )
    if not path.exists():
        if write:
            if not _writable_dir(path.parent):
                raise ConfigError(
                    f"tracking store {path}: folder {path.parent} is not writable; {FIX}"
                )
            return  # MLflow creates it (under the run's store lock)
        require_store(cfg)  # reads never create one: says so, naming it
    if not path.is_file():
        raise ConfigError(f"tracking store {path} is not a file (tracking_uri {cfg.describe()})")
    if write:
        why = _read_only(path) or _read_only(path.parent)
        if why:
            raise ConfigError(
                f"tracking store {path} is read-only ({why}); a run writes its records there"
                f" (and a lock file beside it): make it writable, or {FIX}"
            )
    with _no_migration_running(path):
        _check_schema(path, uri, write)


@contextmanager
def _no_migration_running(path: Path, wait_s: float = MIGRATION_WAIT_S) -> Iterator[None]:
    """Wait (up to ``wait_s``) while another run creates or migrates the store: it holds the
    lock file beside it (``<db>.lock``, `augment.tracking.log`), and a half-made store would
    look like one of another MLflow version. The lock file is opened only if it exists."""
    try:
        import fcntl

        lock = open(path.with_name(path.name + ".lock"), "rb")  # noqa: SIM115
    except (ImportError, OSError):  # no flock (Windows), or no run has made the lock file
        yield
        return
    with lock:
        deadline = time.monotonic() + wait_s
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_SH | fcntl.LOCK_NB)
                break
            except OSError:
                if time.monotonic() > deadline:
                    break  # judge the store as it is
                time.sleep(0.1)
        yield


def _check_schema(path: Path, uri: str, write: bool) -> None:
    """The file is an SQLite database holding MLflow's tables at the installed schema."""
    try:
        # mode=ro: opening cannot create, lock for writing or migrate anything
        con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=5)
        try:
            rows = con.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
            tables = {r[0] for r in rows}
            found = None
            if "alembic_version" in tables:
                row = con.execute("SELECT version_num FROM alembic_version").fetchone()
                found = row[0] if row else None
        finally:
            con.close()
    except sqlite3.DatabaseError as err:
        text = str(err)
        if "locked" in text or "busy" in text:
            return  # a run is writing it now: a store in use, not a broken one
        if "unable to open" in text:
            raise ConfigError(f"tracking store {path} cannot be read ({text}); {FIX}") from None
        raise ConfigError(
            f"tracking store {path} is not an SQLite database ({text}); {FIX}, or move the file"
        ) from None
    if not tables:
        if write:
            return  # an empty file: MLflow makes its tables in it
        raise ConfigError(f"tracking store {path} is empty (no MLflow runs); run `augment run`")
    if not {"experiments", "runs", "alembic_version"} <= tables:
        raise ConfigError(
            f"tracking store {path} is an SQLite database but not an MLflow tracking store"
            f" (it has no experiments/runs/alembic_version tables); {FIX}"
        )
    head, known = _schema_revisions()
    if head is None or found == head:
        return
    if found is None or found in known:
        found = _settled_revision(path, found, head)  # another MLflow client may be migrating
        if found == head:
            return
    if found is None:
        raise ConfigError(
            f"tracking store {path} has MLflow's tables but no schema revision (its creation"
            f" was stopped half-way); {FIX}, or move the file"
        )
    mlflow = _mlflow_version()
    if found in known:
        raise ConfigError(
            f"tracking store {path} was made by an older MLflow (schema {found}; the installed"
            f" MLflow {mlflow} needs {head}): back it up, then run `mlflow db upgrade {uri}`"
        )
    raise ConfigError(
        f"tracking store {path} was written by a newer MLflow (schema {found}, unknown to the"
        f" installed MLflow {mlflow}): upgrade MLflow (pip install -U mlflow), or {FIX}"
    )


def _settled_revision(path: Path, found: str | None, head: str, still_s: float = 3.0) -> str | None:
    """The store's schema revision once it stops moving: an MLflow client that is not a run
    (a first ``mlflow ui``, a script's MlflowClient) creates and migrates a new store without
    our lock; its tables come before their revision (None), and its intermediate revisions
    look like an older MLflow's. Waits while the revision changes
    (up to `MIGRATION_WAIT_S`); a revision unchanged for ``still_s`` is the store's."""
    deadline = time.monotonic() + MIGRATION_WAIT_S
    changed = time.monotonic()
    while time.monotonic() < deadline and time.monotonic() - changed < still_s:
        time.sleep(0.25)
        try:
            con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=5)
            try:
                row = con.execute("SELECT version_num FROM alembic_version").fetchone()
            finally:
                con.close()
        except sqlite3.DatabaseError:
            continue  # being written: keep waiting
        now = row[0] if row else None
        if now == head:
            return now
        if now != found:
            found, changed = now, time.monotonic()
    return found


@lru_cache(maxsize=1)
def _schema_revisions() -> tuple[str | None, frozenset[str]]:
    """The installed MLflow's head schema revision and every revision it knows, read from its
    migration scripts (importing MLflow and alembic for this would cost seconds)."""
    spec = find_spec("mlflow")
    if spec is None or spec.origin is None:
        return None, frozenset()
    folder = Path(spec.origin).parent / "store" / "db_migrations" / "versions"
    revisions, parents = set(), set()
    for script in folder.glob("*.py"):
        text = script.read_text(encoding="utf-8", errors="replace")
        rev = re.search(r"^revision\s*=\s*['\"](\w+)['\"]", text, re.M)
        down = re.search(r"^down_revision\s*=\s*(.+)$", text, re.M)
        if rev:
            revisions.add(rev.group(1))
        if down:
            parents.update(re.findall(r"['\"](\w+)['\"]", down.group(1)))
    heads = revisions - parents
    # one head, as MLflow itself requires; anything else: leave the check to MLflow
    return (heads.pop() if len(heads) == 1 else None), frozenset(revisions)


def _mlflow_version() -> str:
    try:
        return version("mlflow")
    except PackageNotFoundError:
        return "(unknown version)"


def _read_only(path: Path) -> str | None:
    """Why ``path`` cannot be written, or None. File mode bits count even for root: a store
    made read-only on purpose is not written because root could."""
    try:
        if os.statvfs(path).f_flag & os.ST_RDONLY:
            return f"{path} is on a read-only file system"
        mode = path.stat().st_mode
    except OSError as err:
        return f"{path}: {err.strerror or err}"
    if not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) or not os.access(path, os.W_OK):
        return f"{path} is not writable"
    return None


def _writable_dir(path: Path) -> bool:
    """The nearest existing ancestor of ``path`` is a writable directory."""
    path = path.resolve()
    while not path.exists() and path != path.parent:
        path = path.parent
    return path.is_dir() and _read_only(path) is None


def _check_file_store(cfg: TrackingConfig, write: bool) -> None:
    """MLflow's file store (``file:`` or a plain path): allowed by MLflow (it refuses one unless
    ``MLFLOW_ALLOW_FILE_STORE`` is true), a folder that exists (reads) or can be made (writes)."""
    uri = cfg.tracking_uri
    from mlflow.environment_variables import MLFLOW_ALLOW_FILE_STORE

    if not MLFLOW_ALLOW_FILE_STORE.get():  # what MLflow 3's FileStore checks first
        raise ConfigError(
            f"MLflow tracking URI {uri} is a file store (a folder of runs), which this MLflow"
            " refuses; use a database, e.g. sqlite:///mlflow.db (`mlflow migrate-filestore`"
            " moves existing runs), or set MLFLOW_ALLOW_FILE_STORE=true"
        )
    folder = Path(uri[len("file://") :] if uri.lower().startswith("file://") else uri)
    if write:
        if not _writable_dir(folder):
            raise ConfigError(f"MLflow tracking URI {uri}: folder {folder} is not writable; {FIX}")
    elif not folder.is_dir():
        raise ConfigError(f"no tracking store at {folder} (tracking_uri {cfg.describe()})")


def _check_server(uri: str, timeout_s: int) -> None:
    if uri.lower().startswith(("http://", "https://")):
        reason = _plain_request(uri, timeout_s)
        if reason is not None:
            raise _refused(uri, reason)
    from mlflow.tracking import MlflowClient

    try:
        with environ({k: v.format(timeout=timeout_s) for k, v in _FAST_FAIL.items()}):
            MlflowClient(tracking_uri=uri).search_experiments(max_results=1)
    except Exception as err:  # the client raises MlflowException, requests errors, ...
        text = str(err)
        status = re.search(r"error code (\d{3})", text)
        if "Connection refused" in text or "NewConnectionError" in text:
            reason = "unreachable (connection refused)"
        elif "timed out" in text.lower() or "timeout" in text.lower():
            reason = f"unreachable (no answer within {timeout_s} s)"
        elif status and status.group(1) in ("401", "403"):
            reason = f"refusing this client (HTTP {status.group(1)})"
        elif status:
            reason = f"not an MLflow tracking server (it answers HTTP {status.group(1)})"
        else:
            reason = f"unusable ({(text.splitlines() or [type(err).__name__])[0][:200]})"
        raise _refused(uri, reason) from None


def _refused(uri: str, reason: str) -> ConfigError:
    """The one line for a server that cannot be used, with the fix that fits the reason."""
    if reason.startswith("unreachable"):
        fix = f"start the server, or {FIX}"
    elif reason.startswith("refusing"):
        fix = "set MLFLOW_TRACKING_TOKEN or MLFLOW_TRACKING_USERNAME / _PASSWORD"
    else:
        fix = f"check the URL (the server's root, e.g. http://host:5000), or {FIX}"
    return ConfigError(f"MLflow tracking URI {uri} is {reason}; {fix}")


def _plain_request(uri: str, timeout_s: int) -> str | None:
    """Why the server cannot be used, from one plain request of the call MLflow's client makes
    first; None when it answers otherwise (authentication, TLS settings and the rest are then
    the client's to check). Without MLflow's import (seconds on a busy machine) a dead or
    wrong address is refused at once."""
    import json
    import socket
    import urllib.error
    import urllib.request

    request = urllib.request.Request(
        uri.rstrip("/") + "/api/2.0/mlflow/experiments/search",
        data=json.dumps({"max_results": 1}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    slow = f"unreachable (no answer within {timeout_s} s)"
    try:
        with urllib.request.urlopen(request, timeout=timeout_s):
            return None
    except urllib.error.HTTPError as err:
        if err.code == 404:
            return "not an MLflow tracking server (it answers HTTP 404)"
        return None
    except urllib.error.URLError as err:
        if isinstance(err.reason, ConnectionRefusedError):
            return "unreachable (connection refused)"
        if isinstance(err.reason, TimeoutError):
            return slow
        if isinstance(err.reason, socket.gaierror):
            return f"unreachable (no such host: {err.reason.strerror or err.reason})"
        return None  # TLS and the like: the client's own settings decide
    except TimeoutError:  # connected, but the answer did not come
        return slow
    except (OSError, ValueError):
        return None


# one try, short timeout: a reachability probe must not sit in the client's retry backoff
_FAST_FAIL = {"MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0", "MLFLOW_HTTP_REQUEST_TIMEOUT": "{timeout}"}
