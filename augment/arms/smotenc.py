"""``smotenc``: SMOTE-NC to the plan's targets (tables with discrete and continuous columns)."""

from __future__ import annotations

from augment.arms._common import features, smote_neighbours, targets
from augment.arms._registry import Arm, Draw, register


def _mixed(train) -> bool:
    return train.kind == "table" and bool(train.discrete) and bool(train.continuous)


def build(draw: Draw):
    from imblearn.over_sampling import SMOTENC

    train = draw.train
    if not _mixed(train):
        raise ValueError("the smotenc arm needs a table with discrete and continuous columns")
    wanted = targets(train, draw.plan)
    if not wanted:
        return features(train), train.y
    k = smote_neighbours(train, wanted)
    cat_idx = [train.X.columns.get_loc(c) for c in train.discrete]
    sampler = SMOTENC(cat_idx, sampling_strategy=wanted, k_neighbors=k, random_state=draw.seed)
    X, y = sampler.fit_resample(train.X, train.y)
    return X.astype(train.X.dtypes.to_dict()), y


def requires(splits, classifier: str) -> str | None:
    if not _mixed(splits.train):
        return "smotenc needs discrete and continuous columns"
    return None


ARM = register(
    Arm(
        name="smotenc",
        help="SMOTE-NC to the same targets (tables with discrete and continuous columns)",
        build=build,
        order=7,
        default=False,
        kinds=("table",),
        requires=requires,
    )
)
