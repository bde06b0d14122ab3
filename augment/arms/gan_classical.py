"""``gan+classical`` (images): the plan filled half by GAN samples, half by classical copies."""

from __future__ import annotations

import numpy as np

from augment.arms._common import classical_copies, features
from augment.arms._registry import Arm, Draw, register
from augment.experiment import generation


def build(draw: Draw):
    half = {c: n // 2 for c, n in draw.plan.items()}
    rest = {c: n - half[c] for c, n in draw.plan.items()}
    X_gan, y_gan = generation.draw(draw.model, rest, None, draw.seed, kind="image")
    X_cls, y_cls = classical_copies(draw, half)
    train = draw.train
    parts = [features(train), X_cls] + ([X_gan] if len(y_gan) else [])
    return np.concatenate(parts), np.concatenate([train.y, y_cls, y_gan])


ARM = register(
    Arm(
        name="gan+classical",
        help="the plan filled half by GAN samples, half by classical copies",
        build=build,
        order=5,
        uses_generator=True,
        kinds=("image",),
    )
)
