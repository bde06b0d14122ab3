"""Another valid-looking value for a config field, derived from its type: key and fingerprint
tests iterate over every field of a config, so a field added later is covered without a list."""

from __future__ import annotations

import types
import typing
from typing import Any


def _types(annotation: Any) -> list[Any]:
    """The alternatives of an annotation (``int | None`` -> [int, NoneType]); strings resolved."""
    if isinstance(annotation, str):  # `from __future__ import annotations` in dataclasses
        annotation = eval(annotation, {"Any": Any, "Literal": typing.Literal})
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return [t for a in typing.get_args(annotation) for t in _types(a)]
    return [annotation]


def another_value(current: Any, annotation: Any) -> Any:
    """A value of the field's type that differs from ``current``."""
    options = _types(annotation)
    for t in options:
        origin = typing.get_origin(t)
        if origin is typing.Literal:
            others = [v for v in typing.get_args(t) if v != current]
            if others:
                return others[0]
        elif t is bool:
            return not current if isinstance(current, bool) else True
        elif t is int:
            return current + 1 if isinstance(current, int) else 7
        elif t is float:
            return current / 2 + 0.01 if isinstance(current, float) else 0.05
        elif t is str:
            return f"{current}-other" if isinstance(current, str) else "other"
        elif t is list or origin is list:
            return [*current, "x"] if isinstance(current, list) else ["x"]
        elif t is Any:
            return "another"
    if current is not None and type(None) in options:
        return None
    raise AssertionError(f"no other value known for a field of type {annotation!r}: add one")
