"""Exceptions raised by augment for user mistakes (bad data, bad config)."""

from __future__ import annotations


class AugmentError(Exception):
    """Base class for errors that are the user's to fix (the CLI exits 2 on them)."""


class InvalidDataError(AugmentError, ValueError):
    """The input data cannot be used: names the file, column or value and what is allowed."""


class ConfigError(AugmentError, ValueError):
    """A configuration value or file is invalid."""


class IntegrityError(Exception):
    """A file augment wrote no longer matches the SHA-256 recorded for it (damaged on disk or in
    transfer), or records none. Not the user's mistake, so not an `AugmentError`: the CLI exits 1.
    The message is one line naming the file.
    """


class RunFailed(Exception):
    """A run stopped after its MLflow run was opened; ``__cause__`` is what stopped it.

    Raised by `flows.local.LocalSession.run` so the CLI can say what became of the MLflow
    run without reaching into the flow's state.
    """

    def __init__(self, run_id: str, marked_failed: bool) -> None:
        super().__init__(f"MLflow run {run_id} stopped")
        self.run_id = run_id
        self.marked_failed = marked_failed
