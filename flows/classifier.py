"""The retrained classifier a run keeps: the verdict's best arm (or every arm, or none, as
``log_classifiers`` in ``mlflow.yml`` says) refitted with classifier seed 0 on that arm's
training data and logged as a servable MLflow model (`augment.tracking.log_classifier`).

The refit is the run's own seed-0 fit again (same training set, same seed): its test scores are
compared with the run's seed-0 scores of that arm, and a difference is said (a warning and the
model tag ``augment.reproduced=false``), never hidden.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from augment.arms import ArmResult, arm_classifier, features, get, training_set
from augment.experiment.preflight import Prepared
from augment.experiment.summary import Summary
from augment.names import safe_name
from augment.tracking import Tracker, log_classifier
from flows.models import Fitted, generator_for

log = logging.getLogger("augment.tracking")


def refit(prepared: Prepared, arm: str, fitted: list[Fitted]) -> Any:
    """The arm's classifier as its seed 0 was trained in the run (generator ``0 mod K``)."""
    cfg, splits = prepared.cfg, prepared.splits
    model = generator_for(0, fitted).model if get(arm).uses_generator and fitted else None
    X, y = training_set(arm, splits, prepared.plan, 0, model, cfg.augmentations)
    return arm_classifier(arm, cfg.classifier, splits, 0, y).fit(X, y)


def reproduces(prepared: Prepared, clf: Any, result: ArmResult) -> bool:
    """The refitted classifier scores on the test split what the run's seed 0 scored."""
    from augment.evaluate import downstream_metrics, minority_classes

    test = prepared.splits.test
    minority = minority_classes(prepared.splits.train.y, test.n_classes)
    scores = downstream_metrics(test.y, np.asarray(clf.predict(features(test))), minority)
    want = result.per_seed[0]
    return all(np.isclose(scores[m], want[m], rtol=0, atol=1e-12) for m in want)


def arms_to_log(choice: str, best: str | None, arms: list[str]) -> list[str]:
    """The arms whose classifier is logged (``choice``: best, all or none), the best first."""
    first = [best] if best is not None else []
    if choice == "best":
        return first
    return [*first, *(a for a in arms if a != best)] if choice == "all" else []


def model_name(arm: str, best: str | None) -> str:
    """``classifier`` for the best arm, ``classifier_<arm>`` for others, the arm spelled as in
    metric keys (`flows.record.metric_name`: no "+" in MLflow names)."""
    return "classifier" if arm == best else f"classifier_{safe_name(arm.replace('+', '_and_'))}"


def log_classifiers(
    tracker: Tracker,
    run_id: str,
    prepared: Prepared,
    summary: Summary,
    results: dict[str, ArmResult],
    fitted: list[Fitted],
) -> dict[str, str]:
    """Refit and log the classifiers ``log_classifiers`` asks for; their URIs by arm (also the
    run's tags ``classifier_uri`` for the best arm, ``classifier_uri_<arm>`` for others)."""
    verdict = summary.verdict or {}
    best = verdict.get("best")
    said = " ".join(x.strip() for x in (verdict.get("lines") or [])[:2])
    uris: dict[str, str] = {}
    for arm in arms_to_log(tracker.cfg.log_classifiers, best, list(results)):
        clf = refit(prepared, arm, fitted)
        same = reproduces(prepared, clf, results[arm])
        if not same:
            log.warning(
                "the %s arm's classifier refitted with seed 0 does not score what the run's"
                " seed 0 scored (threads or device differ?); logged anyway, tagged"
                " augment.reproduced=false",
                arm,
            )
        tags = {
            "augment.arm": arm,
            "augment.best_arm": str(arm == best).lower(),
            "augment.classifier": str(summary.classifier),
            "augment.dataset_hash": prepared.data_hash,
            # the generator seed 0 used: the run's logged one (none for arms without one)
            "augment.generator_run": run_id if get(arm).uses_generator and fitted else "none",
            "augment.generator_uri": str(summary.generator_uri or "none"),
            "augment.verdict": said[:5000],
            "augment.reproduced": str(same).lower(),
        }
        name = model_name(arm, best)
        train = prepared.splits.train
        uris[arm] = log_classifier(tracker, run_id, clf, train, name, tags, arm == best)
        tracker.set_tags(run_id, {name.replace("classifier", "classifier_uri", 1): uris[arm]})
    return uris
