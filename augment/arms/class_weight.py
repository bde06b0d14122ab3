"""``class_weight``: the train split as it is, the classifier with ``class_weight="balanced"``."""

from __future__ import annotations

from augment.arms._common import unchanged
from augment.arms._registry import Arm, register


def requires(splits, classifier: str) -> str | None:
    from augment.classify import resolve_classifier

    if resolve_classifier(classifier, splits.train.kind) == "cnn":
        return "the cnn classifier has no class weights"
    return None


ARM = register(
    Arm(
        name="class_weight",
        help="the train split as it is, classifier with class_weight='balanced'",
        build=lambda draw: unchanged(draw.train),
        order=8,
        default=False,
        requires=requires,
        class_weight="balanced",
    )
)
