"""``random_oversample``: real rows of each class repeated at random to the plan's targets."""

from __future__ import annotations

from augment.arms._common import features, targets
from augment.arms._registry import Arm, Draw, register


def build(draw: Draw):
    from imblearn.over_sampling import RandomOverSampler

    train = draw.train
    wanted = targets(train, draw.plan)
    if not wanted:
        return features(train), train.y
    sampler = RandomOverSampler(sampling_strategy=wanted, random_state=draw.seed)
    return sampler.fit_resample(features(train), train.y)


ARM = register(
    Arm(
        name="random_oversample",
        help="real rows of each class repeated at random to the same targets",
        build=build,
        order=6,
        default=False,
    )
)
