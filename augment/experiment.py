"""The steps of one augmentation experiment, free of orchestration and tracking.

The Prefect flow calls these in order; so can a notebook or another pipeline.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from augment.arms import ArmResult, features, get
from augment.classify import make_classifier, resolve_classifier
from augment.config import DataConfig, GANConfig, RunConfig
from augment.data import LabeledDataset, Splits, load_dataset, make_splits
from augment.evaluate import (
    METRICS,
    c2st_auc,
    deltas_and_gap,
    downstream_metrics,
    minority_classes,
    summarize_arms,
)
from augment.gan_fit import fit_generator  # noqa: F401  (re-exported: the steps in one place)
from augment.generation import draw, run_selector
from augment.summary import Summary
from augment.verdict import verdict

log = logging.getLogger(__name__)


def prepare(cfg: DataConfig) -> tuple[LabeledDataset, Splits]:
    """Load and split the data; the test split is real only and made before any generation."""
    data = load_dataset(cfg.source, cfg.label, cfg.missing, cfg.min_class_rows, cfg.discrete)
    splits = make_splits(
        data,
        cfg.test_size,
        cfg.split_seed,
        cfg.imbalance_classes,
        cfg.imbalance_fraction,
        cfg.min_class_rows,
    )
    return data, splits


def gan_seeds(cfg: RunConfig) -> list[int]:
    """The GAN seeds of the run's K generators: ``gan.seed``, ``gan.seed + 1``, ..."""
    return [cfg.gan.seed + i for i in range(cfg.n_generators)]


def generator_of(seed: int, n_generators: int) -> int:
    """Paired design: classifier seed ``seed`` of a GAN arm uses generator ``seed mod K``."""
    return seed % n_generators


def generator_config(cfg: GANConfig, gan_seed: int) -> GANConfig:
    """The config of the one generator with GAN seed ``gan_seed`` (fitted and keyed on)."""
    return cfg.model_copy(update={"seed": gan_seed, "seeds": None})


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


def build_summary(
    cfg: RunConfig,
    data: LabeledDataset,
    splits: Splits,
    results: dict[str, ArmResult],
    quality: dict[str, float] | list[dict[str, float]] | None,
    run_id: str | None,
    experiment: str | None,
) -> Summary:
    """The run's `Summary` (docs/reference.md, "The JSON summary"): per arm mean/std/ci95,
    deltas, gap recovered, quality, verdict.

    The GAN arms' per-seed values come from K generators (seed s -> generator s mod K), so
    their CIs, deltas and gap recovered include generator variance; ``per_generator`` holds
    each generator's mean. ``quality`` is one dict per generator (or one dict): the summary
    reports their mean and, per generator, ``synthetic_quality_per_generator``. The checks,
    the report and the generator's URI come later (`Summary.with_checks`, ...).
    """
    arms = summarize_arms({arm: r.per_seed for arm, r in results.items()})
    deltas, gap = deltas_and_gap(arms)
    k = cfg.n_generators
    per_gen_quality = [quality] if isinstance(quality, dict) else list(quality or [])
    gan_arms = [a for a in results if get(a).uses_generator]
    quality_mean = mean_quality(per_gen_quality)
    compared = {
        "arms": arms,
        "delta_vs_baseline": deltas,
        "gap_recovered": gap,
        "synthetic_quality": quality_mean,
    }
    return Summary(
        mlflow_run_id=run_id,
        experiment=experiment,
        dataset=data.name,
        dataset_hash=data.content_hash(),
        kind=data.kind,
        n_train=len(splits.train),
        n_test=len(splits.test),
        class_counts_train=splits.train.class_counts(),
        reduced_classes=splits.reduced_classes,
        dropped_classes=splits.dropped_classes,
        seeds=cfg.seeds,
        classifier=resolve_classifier(cfg.classifier, data.kind),
        gan_epochs=cfg.gan.epochs,
        sampling_strategy=cfg.sampling_strategy,
        **compared,
        gan_seeds=gan_seeds(cfg) if gan_arms else [],
        generator_of_seed=[generator_of(s, k) for s in range(cfg.seeds)] if gan_arms else [],
        per_generator={a: per_generator_means(results[a].per_seed, k) for a in gan_arms},
        synthetic_quality_per_generator={m: [q[m] for q in per_gen_quality] for m in quality_mean},
        verdict=verdict(compared),
    )
