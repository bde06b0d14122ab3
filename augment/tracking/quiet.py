"""MLflow's chatter kept off a library user's terminal while augment logs: the artifact
download bars and the INFO lines of model logging and store creation (warnings still show)."""

from __future__ import annotations

import contextlib
import io
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

LOGGERS = ("mlflow.pyfunc", "mlflow.models", "mlflow.store.db.utils", "alembic")
BAR = "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR"


@contextmanager
def quiet_mlflow() -> Iterator[None]:
    """For the block: no progress bars, MLflow's INFO lines dropped; restored afterwards. A
    user who asked for the bars (the variable set) or for INFO (a level set) keeps them."""
    bar = os.environ.get(BAR)
    if bar is None:
        os.environ[BAR] = "false"
    loggers = [logging.getLogger(name) for name in LOGGERS]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        if lg.level == logging.NOTSET:
            lg.setLevel(logging.WARNING)
    try:
        yield
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.setLevel(level)
        if bar is None:
            os.environ.pop(BAR, None)


def register_model(uri: str, name: str, tags: dict[str, str] | None = None) -> Any:
    """`mlflow.register_model` without its "Successfully registered model ..." lines on the
    terminal (MLflow prints them to stderr): they go to the log (INFO) instead."""
    import mlflow

    said = io.StringIO()
    with quiet_mlflow(), contextlib.redirect_stderr(said):
        version = mlflow.register_model(uri, name, tags=tags)
    for line in said.getvalue().splitlines():
        if line.strip():
            logging.getLogger("augment.tracking").info("%s", line)
    return version
