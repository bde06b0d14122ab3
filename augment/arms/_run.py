"""Run an arm: build its training set per seed, train the downstream classifier, score on test."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from augment.arms._common import features
from augment.arms._registry import Draw, Features, get

if TYPE_CHECKING:
    from augment.data import Splits
from augment.exceptions import InvalidDataError

log = logging.getLogger("augment.arms")


def applicable_arms(
    arms: list[str], splits: Splits, classifier: str = "auto"
) -> tuple[list[str], dict[str, str]]:
    """The arms that can run on these splits, and the reason each other one cannot."""
    keep, skipped = [], {}
    for name in arms:
        reason = get(name).why_not(splits, classifier)
        if reason is None:
            keep.append(name)
        else:
            skipped[name] = reason
            log.info("skipping the %s arm: %s", name, reason)
    if not keep:
        raise InvalidDataError(
            "no arm left to run: " + "; ".join(f"{a}: {r}" for a, r in skipped.items())
        )
    return keep, skipped


def training_set(
    arm: str,
    splits: Splits,
    plan: dict[int, int],
    seed: int,
    model: Any = None,
    augmentations: list | None = None,
) -> tuple[Features, np.ndarray]:
    """The (X, y) an arm trains its classifier on, for one seed.

    ``augmentations`` is the albumentations spec of the classical arms (None: the default).
    """
    return get(arm).build(Draw(splits, plan, seed, model, augmentations))


@dataclass
class ArmResult:
    arm: str
    per_seed: list[dict[str, float]]  # downstream metrics per seed
    confusion: np.ndarray  # summed over seeds, (K, K), rows = true class
    per_class_recall: list[float]  # mean over seeds, per class code
    n_train: int  # rows the classifier saw (first seed)

    @classmethod
    def merge(cls, parts: list[ArmResult]) -> ArmResult:
        """One arm's per-seed results (one part per seed, in seed order) as one result."""
        return cls(
            parts[0].arm,
            [row for p in parts for row in p.per_seed],
            np.sum([p.confusion for p in parts], axis=0),
            np.mean([p.per_class_recall for p in parts], axis=0).tolist(),
            parts[0].n_train,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "arm": self.arm,
            "per_seed": [{k: float(v) for k, v in row.items()} for row in self.per_seed],
            "confusion": np.asarray(self.confusion).tolist(),
            "per_class_recall": [float(r) for r in self.per_class_recall],
            "n_train": int(self.n_train),
        }

    @classmethod
    def from_json(cls, d: Any, arm: str, k: int, n_seeds: int = 1) -> ArmResult | None:
        """The result stored by `to_json`, or None when it is not the expected shape."""
        try:
            conf = np.asarray(d["confusion"], dtype=np.int64)
            res = cls(
                str(d["arm"]),
                [{str(m): float(v) for m, v in row.items()} for row in d["per_seed"]],
                conf,
                [float(r) for r in d["per_class_recall"]],
                int(d["n_train"]),
            )
        except (KeyError, TypeError, ValueError, AttributeError):
            return None
        ok = res.arm == arm and conf.shape == (k, k) and len(res.per_class_recall) == k
        return res if ok and len(res.per_seed) == n_seeds else None


def arm_classifier(arm: str, classifier: str, splits: Splits, seed: int, y: np.ndarray) -> Any:
    """The unfitted classifier the ``arm`` trains for ``seed`` on labels ``y``: the run's
    classifier with the arm's ``class_weight``, through the arm's wrapper (`Arm.wrap`). The one
    recipe for the run's arms and for the classifier a run logs."""
    from augment.classify import make_classifier

    spec = get(arm)
    clf = make_classifier(classifier, splits.train, seed, class_weight=spec.class_weight)
    return spec.wrap(clf, seed, y)


def run_arm(
    arm: str,
    splits: Splits,
    plan: dict[int, int],
    classifier_seeds: list[int],
    classifier: str,
    model: Any = None,
    augmentations: list | None = None,
) -> ArmResult:
    """Train the downstream classifier on the arm's training set per seed; evaluate on real test."""
    from sklearn.metrics import confusion_matrix, recall_score

    from augment.evaluate import downstream_metrics, minority_classes

    test = splits.test
    k = test.n_classes
    minority = minority_classes(splits.train.y, k)
    rows, recalls = [], []
    conf = np.zeros((k, k), dtype=np.int64)
    n_train = 0
    for seed in classifier_seeds:
        X, y = training_set(arm, splits, plan, seed, model, augmentations)
        n_train = n_train or len(y)
        clf = arm_classifier(arm, classifier, splits, seed, y)
        pred = clf.fit(X, y).predict(features(test))
        rows.append(downstream_metrics(test.y, pred, minority))
        conf += confusion_matrix(test.y, pred, labels=list(range(k)))
        recalls.append(
            recall_score(test.y, pred, labels=list(range(k)), average=None, zero_division=0)
        )
    return ArmResult(arm, rows, conf, np.mean(recalls, axis=0).tolist(), n_train)
