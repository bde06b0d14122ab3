"""``classical`` (images): albumentations-augmented copies of real images per the balance plan."""

from __future__ import annotations

import numpy as np

from augment.arms._common import classical_copies, features
from augment.arms._registry import Arm, Draw, register


def build(draw: Draw):
    X_new, y_new = classical_copies(draw, draw.plan)
    train = draw.train
    return np.concatenate([features(train), X_new]), np.concatenate([train.y, y_new])


ARM = register(
    Arm(
        name="classical",
        help="albumentations-augmented copies of real images per the balance plan",
        build=build,
        order=4,
        kinds=("image",),
    )
)
