"""One safe form for names that come from user data (class labels, column names).

Such a name reaches MLflow keys (``dcr_ratio_<class>``, ``config.sampling_strategy.<class>``)
and file or folder names (``augment generate``'s ``<out>/<class>/``). `safe_name` gives one
form that is valid for both, so a label has the same safe form everywhere:

- a name that is already safe is returned unchanged (``class_0``, ``gan``, ``setosa``), so
  existing keys and files stay identical;
- any other name becomes its characters outside ``[\\w-]`` replaced by ``_``, cut to fit, plus
  ``--`` and a 12-hex-digit hash of the original, so two different originals never share a
  safe form (a safe name never ends like that: such a name is hashed too).

Safe means: at most `MAX_CHARS` characters and `MAX_BYTES` UTF-8 bytes; only letters, digits,
``_``, ``-``, and dots and spaces inside (never first or last): no path separator, never ``.``
or ``..``, no leading dot (hidden file), no control character, and accepted by MLflow's key
check (``mlflow.utils.validation``: ``[/\\w.\\- :]``, not a path that normalises elsewhere).
`renamed` lists the names that changed, for the run to record the mapping.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

MAX_CHARS = 64  # a key part: room for prefixes and suffixes under MLflow's 250 characters
MAX_BYTES = 128  # a file name part: well under the 255-byte limit of common file systems
_HEX = 12  # 48 bits of hash: even a million distinct names collide with odds below 1 in 500

_SAFE = re.compile(r"[\w-](?:[\w. -]*[\w-])?")
_HASHED = re.compile(rf"--[0-9a-f]{{{_HEX}}}", re.IGNORECASE)  # the tail of a hashed form
_UNSAFE_RUN = re.compile(r"[^\w-]+")


def _hash(name: str) -> str:
    return hashlib.blake2b(name.encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()[:_HEX]


def _fits(name: str) -> bool:
    return len(name) <= MAX_CHARS and len(name.encode("utf-8", "surrogatepass")) <= MAX_BYTES


def is_safe(name: str) -> bool:
    """True when `safe_name` returns ``name`` unchanged."""
    return (
        _SAFE.fullmatch(name) is not None
        and name.isprintable()
        and _fits(name)
        and _HASHED.fullmatch(name[-(_HEX + 2) :]) is None
    )


def safe_name(name: object) -> str:
    """``name`` as an MLflow key part and a file name: unchanged when already safe.

    Parameters
    ----------
    name : str or object
        A class label or column name (other objects are taken as ``str(name)``).

    Returns
    -------
    str
        ``name`` itself when `is_safe`, else its sanitised form plus ``--`` and a short
        stable hash of the original (``"Type (B)"`` -> ``"Type_B--<hash>"``).
    """
    name = str(name)
    return name if is_safe(name) else _hashed(name)


def _hashed(name: str) -> str:
    """The sanitised stem of ``name`` plus ``--`` and its hash, cut to fit."""
    tail = f"--{_hash(name)}"
    stem = _UNSAFE_RUN.sub("_", name).strip("_") or "_"
    while not _fits(stem + tail):  # cut by characters, then by bytes (wide characters)
        stem = stem[: min(len(stem) - 1, MAX_CHARS - len(tail))]
    return stem + tail


def renamed(names: Iterable[object]) -> dict[str, str]:
    """``{original: safe form}`` for the names `safe_name` changes (empty when none)."""
    return {str(n): safe_name(n) for n in names if not is_safe(str(n))}


def unique_file_names(names: Iterable[object]) -> dict[str, str]:
    """``{name: file name}`` with no two file names equal ignoring case.

    A case-insensitive file system (macOS, Windows) would put classes ``A`` and ``a`` in one
    folder: names whose safe forms differ only by case get the hashed form instead.
    """
    safe = {str(n): safe_name(n) for n in names}
    folded: dict[str, list[str]] = {}
    for name, s in safe.items():
        folded.setdefault(s.casefold(), []).append(name)
    for group in folded.values():
        if len(group) > 1:
            for name in group:
                safe[name] = _hashed(name)
    return safe


def free_column(base: str, taken: Iterable[object]) -> str:
    """``base``, or ``base`` behind as many underscores as it takes to be none of ``taken``:
    a column augment adds (``is_synthetic``, ``class``) never replaces a column of the user's."""
    used = {str(t) for t in taken}
    name = base
    while name in used:
        name = "_" + name
    return name
