"""Atomic file writes: a temp file beside the target, flushed to disk, then renamed over it.

A crash or kill at any moment leaves either the old file or the complete new one, never a
half-written file (README, Reliability).
"""

from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from augment.nospace import NO_SPACE_ERRNOS

_FULL_BYTES = 1 << 20  # less free space than this after a failed write: the disk is full


def atomic_write(path: str | Path, write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp_path)`` to fill a temp file beside ``path``, then rename it to ``path``."""
    path = Path(path)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        try:
            write(tmp)
        except Exception as err:
            _raise_if_full(err, path)
            raise
        # mkstemp makes the file 0600; give it what a plain open() would (0666 minus umask)
        os.chmod(tmp, 0o666 & ~_umask())
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())  # the rename must not land before the bytes
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def _raise_if_full(err: Exception, path: Path) -> None:
    """A write that failed on a full disk, said as such and naming ``path``: libraries report
    it their own way (torch's zip writer as a RuntimeError), or as an OSError with no name."""
    said = isinstance(err, OSError) and err.errno in NO_SPACE_ERRNOS
    if said and err.filename:
        return
    if said:  # the OS's own words, with the file's name
        raise OSError(err.errno, err.strerror or os.strerror(err.errno), str(path)) from err
    try:
        st = os.statvfs(path.parent)
        full = st.f_bavail * st.f_frsize < _FULL_BYTES
    except OSError:
        return
    if full:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path)) from err


def _umask() -> int:
    """The process umask, read without changing it where Linux shows it (threads stay safe)."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)  # elsewhere: read it by setting it, then put it back
    os.umask(mask)
    return mask
