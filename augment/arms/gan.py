"""``gan``: the train split plus class-conditional GAN samples per the balance plan."""

from __future__ import annotations

import numpy as np
import pandas as pd

from augment.arms._common import features, unchanged
from augment.arms._registry import Arm, Draw, register
from augment.experiment import generation


def build(draw: Draw):
    train = draw.train
    chooser = generation.run_selector(train)
    X_syn, y_syn = generation.draw(
        draw.model, draw.plan, chooser, draw.seed, like=train.X, kind=train.kind
    )
    if len(y_syn) == 0:
        return unchanged(train)
    X_real = features(train)
    if train.kind == "table":
        X_syn = X_syn[X_real.columns].astype(X_real.dtypes.to_dict())
        X = pd.concat([X_real, X_syn], ignore_index=True)
    else:
        X = np.concatenate([X_real, X_syn])
    return X, np.concatenate([train.y, y_syn])


ARM = register(
    Arm(
        name="gan",
        help="train split + conditional-GAN samples per the balance plan",
        build=build,
        order=1,
        uses_generator=True,
    )
)
