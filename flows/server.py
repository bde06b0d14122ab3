"""Prefect's temporary API server for a run with no Prefect server configured, started early.

Without ``PREFECT_API_URL`` Prefect starts a temporary server (a uvicorn subprocess) at the
flow's first API call and waits for it: about 8 s of every plain `augment run`. Started here,
right after the config is read, it boots while the run's checks load the data, so the wait
mostly disappears. The same server as Prefect's own (same app, loopback, no UI), stopped when
the run ends, also on Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import errno
import logging
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.util import find_spec
from pathlib import Path

from augment.nospace import SQLITE_FULL
from flows import server_db

log = logging.getLogger("augment.prefect")

# the server's periodic loops that have nothing to do for one run with no deployments,
# schedules, workers, pauses, concurrency leases or automations: off, unless the environment says
# otherwise (the server's idle CPU halves: 0.022 -> 0.013 CPU s per second, measured)
IDLE_LOOPS = (
    "CANCELLATION_CLEANUP",
    "FOREMAN",
    "LATE_RUNS",
    "SCHEDULER",
    "PAUSE_EXPIRATIONS",
    "REPOSSESSOR",
    "CLEANUP_RECONCILER",
    "TRIGGERS",
)

# the longest a server's start holds the state lock (its boot takes ~8 s; a hung one must not
# keep a second run waiting for ever)
LOCK_HELD_S = 120

_DATABASE_VARS = (
    "PREFECT_SERVER_DATABASE_CONNECTION_URL",
    "PREFECT_API_DATABASE_CONNECTION_URL",
)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _die_with_parent() -> None:
    """In the server's process, before it starts: ask Linux to SIGTERM it when the run's
    process dies, even by ``kill -9`` (elsewhere: stopped by `TemporaryAPI.stop` only)."""
    if sys.platform.startswith("linux"):
        import ctypes
        import signal

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class TemporaryAPI:
    """A Prefect API server on a free loopback port: `start` returns at once, `url` waits."""

    def __init__(self, state_dir: str | Path | None = None, echo: bool = False) -> None:
        self.process: subprocess.Popen | None = None
        self.echo = echo  # pass the server's own output on to stderr (-v); else keep its tail
        self.output: deque[str] = deque(maxlen=20)
        self.port = 0
        self._ready = False
        self.state_dir = Path(state_dir).resolve() if state_dir is not None else None
        self.created: Path | None = None  # the topmost folder `start` made for the state
        self._lock = None  # the state's lock file, held from start until the server answers
        self._marker: Path | None = None  # this run's `.user-<pid>` file in the state folder
        self._new_db: Path | None = None  # a database this server creates (`server_db.keep`)

    def start(self) -> TemporaryAPI:
        app_dir = Path(find_spec("prefect").origin).parent.parent
        env = {
            **os.environ,
            "PREFECT_UI_ENABLED": "0",
            "PREFECT__SERVER_EPHEMERAL": "1",
            "PREFECT__SERVER_FINAL": "1",
        }
        for loop in IDLE_LOOPS:
            env.setdefault(f"PREFECT_SERVER_SERVICES_{loop}_ENABLED", "false")
        chosen = any(k in env for k in _DATABASE_VARS)  # the user's own database wins
        if self.state_dir is not None and not chosen and self._make_state_dir():
            # the run's flow and task records live in the project, not ~/.prefect/prefect.db
            db = self.state_dir / "prefect.db"
            env["PREFECT_SERVER_DATABASE_CONNECTION_URL"] = f"sqlite+aiosqlite:///{db}"
            self._take_state_lock()
            if server_db.seed(db):  # a migrated empty copy, its block types registered
                env["PREFECT_API_BLOCKS_REGISTER_ON_START"] = "0"
            elif not db.exists():
                self._new_db = db  # made by this server: kept as the template once it answers
        self.port = _free_port()  # after any wait for the lock: still free when it binds
        args = [sys.executable, "-m", "uvicorn", "--app-dir", str(app_dir), "--factory"]
        args += ["prefect.server.api.server:create_app", "--host", "127.0.0.1"]
        args += ["--port", str(self.port), "--log-level", "error", "--lifespan", "on"]
        self.process = subprocess.Popen(
            args,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            preexec_fn=_die_with_parent,
            # not in the terminal's process group: Ctrl-C interrupts the run, which then still
            # records its end on this server before stopping it (it dies with us on kill -9)
            start_new_session=True,
        )
        # its tracebacks (e.g. a full disk under its database) are the run's to explain
        self._reader = threading.Thread(target=self._read_output, args=(self.process,), daemon=True)
        self._reader.start()
        if self._lock is not None:
            watch = threading.Thread(target=self._release_when_up, args=(self.process,))
            watch.daemon = True
            watch.start()
        log.info("starting a temporary Prefect API on http://127.0.0.1:%d", self.port)
        return self

    def _take_state_lock(self) -> None:
        """Hold ``state_dir/prefect.db.lock`` while the server creates and migrates its
        database: a second run starting at the same moment in the same folder waits for the
        first one's server to answer instead of migrating the same new file at once (one of
        them died with "Application startup failed"). Released by `_release_when_up`.

        Under the lock this process also leaves a ``.user-<pid>`` marker in the folder, so a
        run refused by its checks (`discard`) never removes a folder another run is using."""
        try:
            import fcntl
        except ImportError:  # Windows: no flock; concurrent first runs stay unprotected there
            return
        try:
            self.state_dir.mkdir(parents=True, exist_ok=True)  # a discarding run may have gone
            lock = open(self.state_dir / "prefect.db.lock", "a")  # noqa: SIM115 (held past here)
        except OSError:
            return  # an unwritable state folder is the run's checks' to report
        started = time.monotonic()
        fcntl.flock(lock, fcntl.LOCK_EX)  # at most one server boot (seconds), see LOCK_HELD_S
        waited = time.monotonic() - started
        if waited > 1:
            log.info(
                "waited %.0f s for another run's Prefect server to create its database", waited
            )
        try:
            self.state_dir.mkdir(parents=True, exist_ok=True)
            self._marker = self.state_dir / f".user-{os.getpid()}"
            self._marker.touch()
        except OSError:
            self._marker = None
        self._lock = lock

    def _release_when_up(self, process: subprocess.Popen) -> None:
        """Release the state lock once the server answers, exits, or `LOCK_HELD_S` passed."""
        deadline = time.monotonic() + LOCK_HELD_S
        health = f"http://127.0.0.1:{self.port}/api/health"
        try:
            while process.poll() is None and time.monotonic() < deadline:
                try:
                    with urllib.request.urlopen(health, timeout=2) as r:
                        if r.status == 200:
                            return
                except (urllib.error.URLError, OSError):
                    pass
                time.sleep(0.1)
        finally:
            lock, self._lock = self._lock, None
            if lock is not None:
                lock.close()  # closing the file releases the flock

    def _read_output(self, process: subprocess.Popen) -> None:
        try:
            for line in process.stdout:
                self.output.append(line.rstrip("\n"))
                if self.echo:
                    sys.stderr.write(line)
        except (OSError, ValueError):  # the pipe closed under it
            pass

    def url(self, timeout_s: float = 120) -> str:
        """The API URL once the server answers its health check."""
        api = f"http://127.0.0.1:{self.port}/api"
        deadline = time.monotonic() + timeout_s
        while not self._ready:
            if self.process is None or self.process.poll() is not None:
                code = None if self.process is None else self.process.returncode
                if any(SQLITE_FULL in line for line in self.output):
                    db = self.state_dir / "prefect.db" if self.state_dir else "its database"
                    raise OSError(errno.ENOSPC, "No space left on device", str(db))
                last = f": {self.output[-1]}" if self.output else ""
                raise RuntimeError(f"the temporary Prefect API server exited (code {code}){last}")
            try:
                with urllib.request.urlopen(f"{api}/health", timeout=2) as r:
                    self._ready = r.status == 200
            except (urllib.error.URLError, OSError):
                pass
            if self._ready and self._new_db is not None:
                # before the run can use it: a copy taken once a flow run exists is refused
                server_db.keep(self._new_db)
                self._new_db = None
            if not self._ready:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the temporary Prefect API did not start in {timeout_s} s")
                time.sleep(0.1)
        return api

    def _make_state_dir(self) -> bool:
        """Create the state folder (remembering what was new); False when it cannot be made
        (a bad ``--cache-dir`` is then reported by the run's checks, not here)."""
        top = self.state_dir
        while not top.parent.exists():
            top = top.parent
        new = None if top.exists() else top
        try:
            self.state_dir.mkdir(parents=True, exist_ok=True)
        except OSError:
            return False
        self.created = new
        return True

    def discard(self) -> None:
        """Stop, and remove the state folder `start` created: for a run refused by its checks,
        which must leave nothing behind. Kept when another live run uses it (its marker)."""
        self.stop()
        if self.created is None:
            return
        import shutil

        try:
            import fcntl

            lock = open(self.state_dir / "prefect.db.lock", "a")  # noqa: SIM115
            fcntl.flock(lock, fcntl.LOCK_EX)  # no other run is between mkdir and its marker
        except (ImportError, OSError):
            lock = None
        try:
            if not _other_users(self.state_dir):
                shutil.rmtree(self.created, ignore_errors=True)
        finally:
            if lock is not None:
                lock.close()
        self.created = None

    def stop(self) -> None:
        marker, self._marker = getattr(self, "_marker", None), None
        if marker is not None:
            marker.unlink(missing_ok=True)
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._reader.join(timeout=2)  # the pipe is at its end once the process is gone
        if self.process.stdout is not None:
            self.process.stdout.close()
        self.process = None


def _other_users(state_dir: Path) -> bool:
    """Whether a live process other than this one has a ``.user-<pid>`` marker there."""
    for marker in state_dir.glob(".user-*"):
        try:
            pid = int(marker.name.removeprefix(".user-"))
        except ValueError:
            continue
        if pid == os.getpid():
            continue
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            continue  # a run killed with -9: its marker is stale
        except PermissionError:
            pass  # alive, another user's
        return True
    return False


def configured() -> bool:
    """A Prefect server is configured (``PREFECT_API_URL``, from the env or a profile)."""
    from prefect.settings import get_current_settings

    return bool(get_current_settings().api.url)


def start_temporary_api(
    state_dir: str | Path | None = None, echo: bool = False
) -> TemporaryAPI | None:
    """Start the temporary server now, unless a Prefect server is configured (then None).

    Its database is ``state_dir/prefect.db`` (the run's cache folder) unless the environment
    names one. The process is started before Prefect is imported to read the settings (seconds,
    which the server's boot overlaps); a server configured in a Prefect profile stops it again."""
    if os.environ.get("PREFECT_API_URL"):
        return None
    api = TemporaryAPI(state_dir, echo=echo).start()
    if configured():
        api.discard()  # a profile names a server: no temporary one, and no state folder
        return None
    return api


@contextmanager
def using(api: TemporaryAPI | None) -> Iterator[None]:
    """Point Prefect at ``api`` (when given) for the duration of the block."""
    if api is None:
        yield
        return
    from prefect.settings import PREFECT_API_URL, PREFECT_UI_URL, temporary_settings

    # no UI is served: no "View at" link that dies with the server
    with temporary_settings(updates={PREFECT_API_URL: api.url(), PREFECT_UI_URL: ""}):
        try:
            yield
        finally:
            _drain()


def _drain() -> None:
    """Send the flow's queued logs and events while the server still runs (it stops next)."""
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    for worker in (APILogWorker, EventsWorker):
        worker.drain_all(timeout=5)
