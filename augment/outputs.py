"""The one guard every path a command writes goes through (README, Reliability).

A command declares its inputs (data file or folder, config file, the tracking store, the cache)
once, then claims each output with `Outputs.file` / `Outputs.folder` before any work; a child
path under an output root (a per-class folder, a cached file) is made with `inside`. Together
they refuse, with one line naming the flag and the path:

- an output equal to, or inside, any input (a file or a folder), or holding an input;
- ``.``, a folder where a file is meant, a file where a folder is meant;
- an existing output without ``--force``;
- two outputs of one command that resolve to the same file (symlinks followed);
- a child path that leaves its root (a class called ``../../x``, an absolute path).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from augment.atomic import atomic_write
from augment.exceptions import ConfigError


def _resolve(path: str | Path) -> Path:
    return Path(path).expanduser().resolve()


def _within(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


class Outputs:
    """The inputs of one command and the outputs it has claimed so far."""

    def __init__(self, inputs: Iterable[str | Path | None] = (), force: bool = False) -> None:
        self.force = force
        self.inputs: list[tuple[Path, str]] = []
        for source in inputs:
            self.protect(source)
        self.claimed: dict[Path, str] = {}

    def protect(self, source: str | Path | None, what: str | None = None) -> None:
        """Never write at, inside or above ``source`` (a file or a folder); ``builtin:`` and
        URIs with a scheme name nothing on disk here."""
        if source is None or str(source).startswith("builtin:"):
            return
        text = str(source)
        if "://" in text:
            return
        self.inputs.append((_resolve(text), what or f"the input {text}"))

    def _check_inputs(self, out: Path, flag: str, shown: str) -> None:
        for source, what in self.inputs:
            if _within(out, source):
                how = "is" if out == source else "is inside"
                raise ConfigError(f"{flag} {shown} {how} {what}; choose another path")
            if _within(source, out):
                raise ConfigError(f"{flag} {shown} holds {what}; choose another path")

    def _claim(self, out: Path, flag: str, shown: str) -> None:
        for other, other_flag in self.claimed.items():
            if other == out:
                raise ConfigError(
                    f"{flag} {shown} and {other_flag} are the same file {out}; give each its own"
                )
            if _within(out, other) or _within(other, out):
                raise ConfigError(f"{flag} {shown} and {other_flag} {other} overlap; separate them")
        self.claimed[out] = flag

    def file(self, path: str | Path, flag: str, suffixes: Iterable[str] | None = None) -> Path:
        """Claim the file ``path`` (checked now, written later); its resolved path."""
        shown = str(path)
        if not shown.strip():
            raise ConfigError(f"{flag} is empty; give a file name")
        out = _resolve(path)
        if out.is_dir() or shown.endswith(("/", os.sep)) or Path(shown).name in ("", ".", ".."):
            raise ConfigError(f"{flag} {shown} is a folder; give a file name")
        if suffixes is not None:
            allowed = tuple(suffixes)
            if out.suffix.lower() not in allowed:
                raise ConfigError(
                    f"{flag} {shown}: unsupported suffix {out.suffix!r}; allowed: "
                    + ", ".join(allowed)
                )
        self._check_inputs(out, flag, shown)
        self._check_parent(out, flag, shown)
        if (out.exists() or out.is_symlink()) and not self.force:
            raise ConfigError(f"{flag} {shown} already exists; pass --force to replace it")
        self._claim(out, flag, shown)
        return out

    def folder(self, path: str | Path, flag: str) -> Path:
        """Claim the folder ``path``, replaced as a whole (with ``--force``); its resolved path.
        Never the working folder, one of its parents or the home folder."""
        shown = str(path)
        if not shown.strip():
            raise ConfigError(f"{flag} is empty; give a folder name")
        out = _resolve(path)
        if out.exists() and not out.is_dir():
            raise ConfigError(f"{flag} {shown} is a file; give a folder name")
        for keep, name in ((Path.cwd().resolve(), "the working folder"), (Path.home(), "home")):
            if _within(keep, out):
                raise ConfigError(f"{flag} {shown} is {name} or holds it; give a new folder")
        self._check_inputs(out, flag, shown)
        self._check_parent(out, flag, shown)
        if out.exists() and not self.force:
            raise ConfigError(f"{flag} {shown} already exists; pass --force to replace it")
        self._claim(out, flag, shown)
        return out

    @staticmethod
    def _check_parent(out: Path, flag: str, shown: str) -> None:
        parent = out.parent
        if not parent.is_dir():
            raise ConfigError(f"{flag} {shown}: its folder {parent} does not exist")
        if not os.access(parent, os.W_OK):
            raise ConfigError(f"{flag} {shown}: its folder {parent} is not writable")


def inside(root: str | Path, *parts: str) -> Path:
    """``root / parts...``, refused unless it stays inside ``root`` (for names from data or
    metadata: give them through `augment.names.file_name` first)."""
    base = _resolve(root)
    for part in parts:
        if not part or part in (".", "..") or "/" in part or "\\" in part or "\0" in part:
            raise ConfigError(f"{part!r} cannot be a file name under {base}")
    out = base.joinpath(*parts).resolve()
    if base not in out.parents:
        raise ConfigError(f"{'/'.join(parts)!r} leaves its folder {base}")
    return out


def write_json_atomic(obj: dict[str, Any], path: str | Path) -> Path:
    """Write JSON to a temp file beside ``path`` and rename it over: never a half-written file."""
    text = json.dumps(obj, indent=2, default=str) + "\n"
    return atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def check_writable(path: str | Path, flag: str = "output") -> None:
    """Fail before any work when the output's folder is missing or not writable, or the path is
    a folder (for outputs that may replace an earlier file of the tool's own, e.g. a plot)."""
    Outputs(force=True).file(path, flag)
