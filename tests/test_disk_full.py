"""A disk that fills up mid-run (issue 12.3): one line naming the cause, no half-written file,
the MLflow run FAILED (or KILLED by the next run when the store is on the full disk too)."""

from __future__ import annotations

import concurrent.futures
import errno
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from _cli import augment_process

from augment.atomic import atomic_write
from augment.cli import main
from augment.nospace import HideNoSpaceTracebacks, out_of_space

RUN = ["run", "--data", "builtin:wine", "--epochs", "2", "--seeds", "2", "--no-progress"]
RUN += ["--arms", "baseline,gan"]


def _statuses(db: Path) -> list[str]:
    con = sqlite3.connect(db)
    try:
        return [
            r[0]
            for r in con.execute("SELECT status FROM runs WHERE name NOT IN ('baseline', 'gan')")
        ]
    finally:
        con.close()


def _full_disk_while_saving_the_gan(monkeypatch) -> None:
    """torch.save of the cached GAN writes half its bytes, then the disk is full."""
    import augment.gan.persist as persist

    def half_then_full(payload, path):
        Path(path).write_bytes(b"\0" * 1000)
        raise OSError(errno.ENOSPC, "No space left on device")  # no file name: the OS's way

    monkeypatch.setattr(persist.torch, "save", half_then_full)


def test_out_of_space_finds_the_cause_however_wrapped():
    full = OSError(errno.ENOSPC, "No space left on device", "/x/model.pt")
    try:
        try:
            raise full
        except OSError as err:
            raise RuntimeError("task failed") from err
    except RuntimeError as wrapped:
        assert out_of_space(wrapped) is full
    sqlite_full = Exception("(sqlite3.OperationalError) database or disk is full")
    assert out_of_space(sqlite_full) is sqlite_full
    assert out_of_space(OSError(errno.ENOENT, "No such file")) is None
    assert out_of_space(ValueError("bad value")) is None


def test_the_traceback_filter_drops_only_disk_full_records():
    import logging

    hide = HideNoSpaceTracebacks()

    def record(msg, exc=None):
        info = (type(exc), exc, None) if exc else None
        return logging.LogRecord("prefect.flow_runs", logging.ERROR, "", 0, msg, (), info)

    assert not hide.filter(record("boom", OSError(errno.ENOSPC, "No space left on device")))
    assert not hide.filter(record("(sqlite3.OperationalError) database or disk is full"))
    assert hide.filter(record("boom", ValueError("a real bug")))
    assert hide.filter(record("Beginning flow run"))
    # tasks the pool cancels because another one failed: an echo, not a cause
    crash = "Crash detected! Execution was interrupted by an unexpected exception: "
    assert not hide.filter(record(crash + "CancelledError: Task cancelled"))
    assert not hide.filter(record("task crashed", concurrent.futures.CancelledError()))
    assert hide.filter(record(crash + "ValueError: a real bug"))
    # GAN fits the run stopped (it failed or was interrupted), and Ctrl-C's own crash record
    from augment.experiment.fit_process import FitProcessDied, FitStopped

    assert not hide.filter(record("task failed", FitStopped("the GAN fit was stopped")))
    failed = "Finished in state Failed('Task run encountered an exception FitStopped: ...')"
    assert not hide.filter(record(failed))
    assert not hide.filter(record("Crash detected! Execution was aborted by an interrupt signal."))
    assert hide.filter(record("task failed", FitProcessDied("ended without a result (-9)")))


def test_atomic_write_on_a_full_disk_names_the_file_and_keeps_the_old_one(tmp_path):
    target = tmp_path / "model.pt"
    target.write_bytes(b"old")

    def half_then_full(tmp: Path) -> None:
        tmp.write_bytes(b"new, half")
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(OSError) as err:
        atomic_write(target, half_then_full)
    assert err.value.errno == errno.ENOSPC
    assert err.value.filename == str(target)
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["model.pt"]


def test_a_full_disk_mid_run_is_one_line_and_the_run_failed(
    tmp_path, mlflow_tmp, capfd, monkeypatch
):
    _full_disk_while_saving_the_gan(monkeypatch)
    code = main(RUN)
    err = capfd.readouterr().err
    # (MLflow's INFO lines about creating the store may show: its logging is set up in-process
    # by earlier tests; a real run is `test_a_real_full_disk`)
    lines = [line for line in err.strip().splitlines() if line.startswith("augment: failed")]
    assert code == 1, err
    assert len(lines) == 1 and "ERROR" not in err, err
    assert lines[0].startswith("augment: failed: out of disk space: No space left on device")
    assert "/.augment/cache/models/gan-" in lines[0] and "free some space" in lines[0]
    assert "is marked FAILED" in lines[0]
    assert "Traceback" not in err
    assert _statuses(tmp_path / "mlflow.db") == ["FAILED"]
    assert not list(tmp_path.glob("**/*.tmp")) and not list(tmp_path.glob("**/gan-*.pt"))


_STORE_FULL_TOO = """
import errno, sys
from pathlib import Path
import augment.gan.persist as persist
from augment.cli import main
from augment.tracking.log import Tracker

def half_then_full(payload, path):
    Path(path).write_bytes(b"\\0" * 1000)
    raise OSError(errno.ENOSPC, "No space left on device")

finish = Tracker.finish

def store_full(self, run_id, status="FINISHED"):
    if status == "FAILED":  # what SQLite says through MLflow when its file cannot grow
        raise RuntimeError("(sqlite3.OperationalError) database or disk is full")
    return finish(self, run_id, status)

persist.torch.save = half_then_full
Tracker.finish = store_full
sys.exit(main(sys.argv[1:]))
"""


def test_a_store_on_the_full_disk_too_is_said_and_the_next_run_marks_it_killed(
    tmp_path, mlflow_tmp, prefect_api
):
    # both runs are processes of their own: a run is reaped only once its process is gone; the
    # MLflow store is the subject, so they use the session's Prefect server
    def run(*argv, more=()):
        return subprocess.run(
            [sys.executable, *argv, *RUN, "--seeds", "1", *more],  # the last --seeds counts
            cwd=tmp_path,
            env={**os.environ, "PREFECT_API_URL": prefect_api},
            capture_output=True,
            text=True,
            timeout=600,
        )

    first = run("-c", _STORE_FULL_TOO)
    assert first.returncode == 1, first.stderr
    assert "could not be marked FAILED" in first.stderr, first.stderr
    assert "the next run marks it KILLED" in first.stderr and "Traceback" not in first.stderr
    assert _statuses(tmp_path / "mlflow.db") == ["RUNNING"]
    second = run("-m", "augment.cli", more=("--arms", "baseline"))  # reaping needs no GAN
    assert second.returncode == 0, second.stderr
    assert "marked KILLED" in second.stderr
    assert sorted(_statuses(tmp_path / "mlflow.db")) == ["FINISHED", "KILLED"]


def test_tables_of_an_interrupted_migration_are_dropped(tmp_path, caplog):
    from augment.tracking.config import TrackingConfig
    from augment.tracking.log import Tracker

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    cfg = TrackingConfig(uri, "x", None, None, {}, "test")
    Tracker(cfg)
    con = sqlite3.connect(tmp_path / "mlflow.db")
    con.execute("CREATE TABLE _alembic_tmp_experiments (experiment_id INTEGER)")  # as a full
    con.commit()  # disk leaves it: every later migration fails on "already exists"
    con.close()
    Tracker(cfg).experiment_id()
    con = sqlite3.connect(tmp_path / "mlflow.db")
    names = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    con.close()
    assert "_alembic_tmp_experiments" not in names and "experiments" in names
    assert "interrupted migration" in caplog.text


def _can_mount_tmpfs(where: Path) -> bool:
    if os.geteuid() != 0:
        return False
    ok = (
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(where)], capture_output=True
        ).returncode
        == 0
    )
    if ok:
        subprocess.run(["umount", str(where)], check=True)
    return ok


@pytest.mark.parametrize("size_kib", [6500])
def test_a_real_full_disk(tmp_path, size_kib):
    """On a real small tmpfs (root only) the run's own files fill it part-way through (at 6.5 MB:
    the GAN file, cached results or the store, by timing). One error line; after space is freed
    the next run succeeds and leaves no run RUNNING."""
    disk = tmp_path / "disk"
    disk.mkdir()
    if not _can_mount_tmpfs(disk):
        pytest.skip("needs root and tmpfs mounts")
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size_kib}k", "tmpfs", str(disk)], check=True
    )
    try:
        done = augment_process(*RUN, cwd=disk, timeout=600)
        lines = [x for x in done.stderr.splitlines() if not x.startswith("augment: note:")]
        assert done.returncode == 1, done.stderr
        assert len(lines) == 1, lines
        assert lines[0].startswith("augment: failed: out of disk space: ")
        assert not list(disk.glob("**/*.tmp"))
        subprocess.run(["mount", "-o", "remount,size=80m", str(disk)], check=True)
        # the next run reaps and finishes (no GAN needed for that: the last --arms counts)
        again = augment_process(*RUN, "--arms", "baseline", cwd=disk, timeout=600)
        assert again.returncode == 0, again.stderr
        assert "RUNNING" not in _statuses(disk / "mlflow.db")
    finally:
        subprocess.run(["umount", "-l", str(disk)])
