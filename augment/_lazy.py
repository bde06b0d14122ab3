"""Lazy re-exports (PEP 562) for the packages that name their public objects up front."""

from __future__ import annotations

import sys
from collections.abc import Callable
from importlib import import_module
from typing import Any


def lazy_exports(
    package: str, public: dict[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` for ``package``: each name of ``public`` is imported from its
    module (absolute, or relative to ``package`` with a leading dot) on first use and cached
    on the package, so importing the package loads none of them."""

    def __getattr__(name: str) -> Any:
        if name in public:
            value = getattr(import_module(public[name], package), name)
            setattr(sys.modules[package], name, value)  # cache: later lookups skip this hook
            return value
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(public))

    return __getattr__, __dir__
