"""Exceptions raised by augment for user mistakes (bad data, bad config)."""

from __future__ import annotations


class AugmentError(Exception):
    """Base class for errors that are the user's to fix (the CLI exits 2 on them)."""


class InvalidDataError(AugmentError, ValueError):
    """The input data cannot be used: names the file, column or value and what is allowed."""


class ConfigError(AugmentError, ValueError):
    """A configuration value or file is invalid."""
