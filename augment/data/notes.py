"""The warnings of one load said in one line: a table may need several (dates used as
seconds, rows dropped, codes taken as categories), and a run's stderr stays a few lines."""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable
from typing import TypeVar

_F = TypeVar("_F", bound=Callable)
LOGGER = "augment.data"
_loading = threading.local()


class _Hold(logging.Filter):
    """Holds back the loading thread's WARNING records (other threads' go on as they came)."""

    def __init__(self) -> None:
        super().__init__()
        self.thread = threading.get_ident()
        self.records: list[logging.LogRecord] = []

    def filter(self, record: logging.LogRecord) -> bool:
        if record.thread == self.thread and record.levelno >= logging.WARNING:
            self.records.append(record)
            return False
        return True


def one_warning(load: _F) -> _F:
    """``load``'s WARNING records from the ``augment.data`` loggers come out as one record when
    it returns (or raises), their messages joined by "; " and a prefix they share
    (``"<file>: "``) said once. Nested loads are gathered by the outermost."""

    @functools.wraps(load)
    def wrapper(*args, **kwargs):
        if getattr(_loading, "active", False):
            return load(*args, **kwargs)
        names = list(logging.Logger.manager.loggerDict)
        ours = [n for n in names if n == LOGGER or n.startswith(LOGGER + ".")]
        loggers = [logging.getLogger(n) for n in ours]
        hold = _Hold()
        for logger in loggers:
            logger.addFilter(hold)
        _loading.active = True
        try:
            return load(*args, **kwargs)
        finally:
            _loading.active = False
            for logger in loggers:
                logger.removeFilter(hold)
            if hold.records:
                first = hold.records[0]
                joined = _joined(first, [r.getMessage() for r in hold.records])
                logging.getLogger(joined.name).handle(joined)

    return wrapper  # type: ignore[return-value]


def _joined(first: logging.LogRecord, messages: list[str]) -> logging.LogRecord:
    """One record saying ``messages``, with the shared ``"<where>: "`` prefix said once."""
    where = messages[0].split(": ", 1)[0] + ": "
    if len(messages) > 1 and all(m.startswith(where) for m in messages):
        text = where + "; ".join(m[len(where) :] for m in messages)
    else:
        text = "; ".join(messages)
    name = first.name if len(messages) == 1 else LOGGER
    return logging.makeLogRecord({**first.__dict__, "name": name, "msg": text, "args": None})
