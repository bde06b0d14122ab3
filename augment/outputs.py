"""The files a run writes for the user: checked before any work, written atomically."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from augment.atomic import atomic_write
from augment.exceptions import ConfigError


def write_json_atomic(obj: dict[str, Any], path: str | Path) -> Path:
    """Write JSON to a temp file beside ``path`` and rename it over: never a half-written file."""
    text = json.dumps(obj, indent=2, default=str) + "\n"
    return atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def check_writable(path: str | Path) -> None:
    """Fail before any work when the output's folder is missing or not writable."""
    parent = Path(path).resolve().parent
    if not parent.is_dir():
        raise ConfigError(f"output folder {parent} does not exist")
    if not os.access(parent, os.W_OK):
        raise ConfigError(f"output folder {parent} is not writable")
    if Path(path).is_dir():
        raise ConfigError(f"output path {path} is a directory; give a file name")


def check_not_input(path: str | Path, inputs: list[str | None], flag: str = "--json") -> None:
    """Refuse an output that is one of the run's inputs (a data file or the config)."""
    out = Path(path).resolve()
    for source in inputs:
        if source and not source.startswith("builtin:") and Path(source).resolve() == out:
            raise ConfigError(
                f"{flag} {path} is the input data or config {source}; choose another file"
            )


def check_json_target(
    path: str, inputs: list[str | None], force: bool, flag: str = "--json"
) -> None:
    """``--json`` / ``--report``: a writable file that is not an input and, without ``force``,
    not there yet."""
    check_writable(path)
    check_not_input(path, inputs, flag)
    if os.path.exists(path) and not force:
        raise ConfigError(f"{flag} {path} already exists; pass --force to replace it")
