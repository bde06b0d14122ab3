"""A full disk (or quota, or file-size limit) behind an error, however deeply it is wrapped.

When the disk fills up mid-run the first error is an ``OSError`` (``ENOSPC``) while writing a
model or an artifact, or SQLite's "database or disk is full" deep inside SQLAlchemy, MLflow or
Prefect; marking the run FAILED may then fail the same way. `out_of_space` finds that cause in
an exception's chain so the CLI can say it in one line instead of a page of tracebacks.
"""

from __future__ import annotations

import errno
import logging

NO_SPACE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})
SQLITE_FULL = "database or disk is full"  # SQLite's words for it, however it is wrapped


def out_of_space(err: BaseException | None) -> BaseException | None:
    """The error in ``err``'s chain (``__cause__``/``__context__``) that says the disk, a quota
    or a file-size limit is full; None when there is none."""
    seen: set[int] = set()
    todo = [err]
    while todo:
        e = todo.pop()
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        if isinstance(e, OSError) and e.errno in NO_SPACE_ERRNOS:
            return e
        if SQLITE_FULL in str(e):
            return e
        todo += [e.__cause__, e.__context__]
    return None


def describe(cause: BaseException) -> str:
    """``cause`` in a few words: the OS message and the file, or SQLite's message."""
    if isinstance(cause, OSError):
        where = f" writing {cause.filename}" if cause.filename else ""
        return f"{cause.strerror or 'no space left on device'}{where}"
    return "the tracking database could not be written (database or disk is full)"


class HideNoSpaceTracebacks(logging.Filter):
    """Drops log records that carry a disk-full traceback (Prefect's and MLflow's own error
    lines for it): the CLI says it once, in one line. Also drops Prefect's "Crash detected"
    records of tasks cancelled because the run was already stopping (the pool's queued tasks
    when one task failed) and the tasks of GAN fits the run stopped (`FitStopped`): never a
    cause, only an echo of the error the CLI reports."""

    def filter(self, record: logging.LogRecord) -> bool:
        # the CLI's boundary moves tracebacks off records as they are made; it keeps the
        # exception and the whole text as ``augment_exc`` / ``augment_text``
        exc = record.exc_info[1] if record.exc_info else getattr(record, "augment_exc", None)
        if exc is not None and out_of_space(exc) is not None:
            return False
        if exc is not None and type(exc).__name__ in ("CancelledError", "FitStopped"):
            return False
        text = getattr(record, "augment_text", None) or record.getMessage()
        if "FitStopped" in text:
            return False
        if text.startswith(("Crash detected!", "Finished in state Crashed")) and (
            "CancelledError" in text
        ):
            return False
        if text.startswith("Crash detected!") and "interrupt signal" in text:
            return False  # Ctrl-C: the CLI says "interrupted"
        return SQLITE_FULL not in text and "No space left" not in text
