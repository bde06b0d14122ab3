"""``oracle``: the untouched train split, before the demo's induced imbalance."""

from __future__ import annotations

from augment.arms._common import unchanged
from augment.arms._registry import Arm, Draw, register


def build(draw: Draw):
    if draw.splits.oracle is None:
        raise ValueError("the oracle arm needs an induced imbalance")
    return unchanged(draw.splits.oracle)


def requires(splits, classifier: str) -> str | None:
    if splits.oracle is None:
        return "no induced imbalance: there is no held-back real data for the oracle arm"
    return None


ARM = register(
    Arm(
        name="oracle",
        help="the real train rows the induced imbalance removed (demos only)",
        build=build,
        order=3,
        requires=requires,
        reference=True,
    )
)
