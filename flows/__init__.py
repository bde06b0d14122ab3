"""Prefect flows over the `augment` library (packaged so the `augment` CLI can run them).

``augmentation_flow`` is imported lazily (PEP 562): ``flows.server`` must start Prefect's
temporary API before the flow's heavy imports, not after them.
"""

import os
from importlib import import_module
from typing import Any

# no telemetry from the temporary Prefect server a flow call starts (a user's setting wins)
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

__all__ = ["augmentation_flow"]


def __getattr__(name: str) -> Any:
    if name == "augmentation_flow":
        value = import_module("flows.augmentation").augmentation_flow
        globals()[name] = value
        return value
    raise AttributeError(f"module 'flows' has no attribute {name!r}")
