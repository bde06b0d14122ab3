"""``baseline``: the (imbalanced) train split as it is."""

from augment.arms._common import unchanged
from augment.arms._registry import Arm, register

ARM = register(
    Arm(
        name="baseline",
        help="the train split as it is",
        build=lambda draw: unchanged(draw.train),
        order=0,
    )
)
