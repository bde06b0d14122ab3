"""``smote``: SMOTE to the plan's per-class targets (SMOTENC / SMOTEN with discrete columns)."""

from __future__ import annotations

from augment.arms._common import features, smote_neighbours, targets
from augment.arms._registry import Arm, Draw, register


def build(draw: Draw):
    from imblearn.over_sampling import SMOTE, SMOTEN, SMOTENC

    train = draw.train
    wanted = targets(train, draw.plan)
    if not wanted:
        return features(train), train.y
    # SMOTE interpolates between a row and its k nearest same-class neighbours
    k = smote_neighbours(train, wanted)
    seed = draw.seed
    if train.kind == "image":
        sampler = SMOTE(sampling_strategy=wanted, k_neighbors=k, random_state=seed)
        return sampler.fit_resample(train.features_2d(), train.y)
    if not train.discrete:
        sampler = SMOTE(sampling_strategy=wanted, k_neighbors=k, random_state=seed)
    elif not train.continuous:
        sampler = SMOTEN(sampling_strategy=wanted, k_neighbors=k, random_state=seed)
    else:
        cat_idx = [train.X.columns.get_loc(c) for c in train.discrete]
        sampler = SMOTENC(cat_idx, sampling_strategy=wanted, k_neighbors=k, random_state=seed)
    X, y = sampler.fit_resample(train.X, train.y)
    return X.astype(train.X.dtypes.to_dict()), y


ARM = register(
    Arm(
        name="smote",
        help="SMOTE to the same per-class targets (SMOTENC / SMOTEN with discrete columns)",
        build=build,
        order=2,
    )
)
