"""The synthetic rows' quality: C2ST AUC and TSTR (images: FID and friends), per generator.

`synthetic_quality` measures one fitted generator against the run's splits; `mean_quality` and
`per_generator_means` fold the K generators' numbers into the summary's.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from augment.arms import features
from augment.classify import make_classifier
from augment.data import Splits
from augment.evaluate import METRICS, c2st_auc, downstream_metrics, minority_classes
from augment.experiment.generation import draw, run_selector
from augment.experiment.pairing import generator_of


def synthetic_quality(
    model: Any, splits: Splits, classifier: str, seed: int = 0
) -> dict[str, float]:
    """C2ST AUC (real train vs as many synthetic rows per class) and TSTR balanced accuracy.

    Images add domain FID, precision/recall/density/coverage and per-class diversity
    (`augment.imagemetrics`); their TSTR uses the small CNN whatever ``classifier`` is.
    """
    train = splits.train
    counts = np.bincount(train.y, minlength=train.n_classes)
    chooser = run_selector(train)
    plan = dict(enumerate(counts.tolist()))
    X_syn, _ = draw(model, plan, chooser, seed + 7919, like=train.X, kind=train.kind)
    c2st = c2st_auc(features(train), X_syn, seed)
    if train.kind == "image":
        from augment.imagemetrics import image_quality  # torch CNN, lazily

        test = splits.test
        return {"c2st_auc": c2st} | image_quality(
            model, train.X, train.y, test.X, test.y, seed=seed
        )
    # TSTR: a classifier that only ever saw synthetic rows, balanced, tested on real test rows
    balanced = dict.fromkeys(range(train.n_classes), int(counts.max()))
    X_tstr, y_tstr = draw(model, balanced, None, seed + 104729, kind=train.kind)
    clf = make_classifier(classifier, train, seed).fit(X_tstr, y_tstr)
    pred = clf.predict(features(splits.test))
    minority = minority_classes(train.y, train.n_classes)
    tstr = downstream_metrics(splits.test.y, pred, minority)["balanced_accuracy"]
    return {"c2st_auc": c2st, "tstr_balanced_accuracy": tstr}


def mean_quality(per_generator: list[dict[str, float]]) -> dict[str, float]:
    """Synthetic-quality metrics averaged over the generators (keys of the first one)."""
    if not per_generator:
        return {}
    return {k: float(np.mean([q[k] for q in per_generator])) for k in per_generator[0]}


def per_generator_means(
    per_seed: list[dict[str, float]], n_generators: int
) -> dict[str, list[float]]:
    """A GAN arm's metric means per generator (classifier seed s -> generator s mod K)."""
    out: dict[str, list[float]] = {}
    for m in METRICS:
        groups = [
            [row[m] for s, row in enumerate(per_seed) if generator_of(s, n_generators) == g]
            for g in range(n_generators)
        ]
        out[m] = [float(np.mean(v)) for v in groups]
    return out
