"""`Summary`: a run's results, typed, and the JSON summary they are written as.

`build_summary` makes one from the arms' results; the facts known only later in a run (the
leakage and memorisation checks, the report's path, the logged generator's URI) are added by
the ``with_*`` methods here and nowhere else. The table, the verdict, the HTML
report and the MLflow record read its attributes; `Summary.to_json` is the JSON summary
(docs/reference.md, "The JSON summary"), key for key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from augment.arms import ArmResult
    from augment.config import RunConfig
    from augment.data import LabeledDataset, Splits

# per arm and metric: {"mean", "std", "ci95": [lo, hi], "values": [one per seed]}
ArmAggregates = dict[str, dict[str, Any]]


@dataclass(frozen=True, kw_only=True)
class Summary:
    """One run's results, in the order of the JSON summary's keys."""

    mlflow_run_id: str | None  # the MLflow parent run (None: steps run without tracking)
    experiment: str | None  # its MLflow experiment
    dataset: str  # the data source as given (builtin:digits, a CSV path)
    dataset_hash: str  # content hash of the loaded data
    kind: str  # "table" or "image"
    n_train: int
    n_test: int
    class_counts_train: dict[str, int]
    reduced_classes: list[str]  # the demo's induced imbalance
    # classes left out for having fewer than data.min_class_rows rows: {name: rows}
    dropped_classes: dict[str, int]
    seeds: int  # classifier seeds per arm (`RunConfig.n_classifier_seeds`; the JSON key)
    classifier: str  # as resolved: cnn / random_forest / ...
    gan_epochs: int
    sampling_strategy: Any  # the config's, as given (a name, a fraction or {class: rows})
    arms: dict[str, ArmAggregates]
    delta_vs_baseline: dict[str, dict[str, float]]  # per arm and metric: mean - baseline's
    gap_recovered: dict[str, float | None]  # per arm: (arm - baseline) / (oracle - baseline)
    synthetic_quality: dict[str, float]  # averaged over the generators
    gan_seeds: list[int]  # [] without a GAN arm
    generator_of_seed: list[int]  # the generator each classifier seed of a GAN arm used
    per_generator: dict[str, dict[str, list[float]]]  # GAN arm -> metric -> mean per generator
    synthetic_quality_per_generator: dict[str, list[float]]
    verdict: dict[str, Any]  # `verdict.verdict`
    # the late facts: None until added (`with_checks`, `with_report`, `with_generator`)
    leakage_check: dict[str, Any] | None = None  # `leakage.check_no_leakage`
    memorisation: dict[str, Any] | None = None  # `memorisation.memorisation`; None without a GAN
    report: str | None = None  # absolute path of the HTML report
    generator_uri: str | None = None  # the first generator's logged model

    def with_checks(self, leakage: dict[str, Any], memorisation: dict[str, Any] | None) -> Summary:
        """This summary with the leakage and memorisation checks (both keys written from now
        on; ``memorisation`` None when no generator was fitted)."""
        return replace(self, leakage_check=leakage, memorisation=memorisation)

    def with_report(self, path: str) -> Summary:
        """This summary with the path of its HTML report."""
        return replace(self, report=path)

    def with_generator(self, uri: str) -> Summary:
        """This summary with the URI of the logged generator model."""
        return replace(self, generator_uri=uri)

    def to_json(self) -> dict[str, Any]:
        """The JSON summary as a dict: every field in order; the checks once added (both
        keys, memorisation possibly null), ``report`` and ``generator_uri`` once known."""
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in _LATE}
        if self.leakage_check is not None:
            out |= {"leakage_check": self.leakage_check, "memorisation": self.memorisation}
        if self.report is not None:
            out["report"] = self.report
        if self.generator_uri is not None:
            out["generator_uri"] = self.generator_uri
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Summary:
        """A summary read back from its JSON (``--json``, ``summary.json``). Keys an older or
        partial summary lacks read as empty (``{}`` / ``[]``) or None; unknown keys are ignored."""
        return cls(**{f.name: data.get(f.name, _blank(f.type)) for f in fields(cls)})

    @classmethod
    def of(cls, summary: Summary | Mapping[str, Any]) -> Summary:
        """``summary`` itself, or read from its JSON: what the readers of a summary accept."""
        return summary if isinstance(summary, Summary) else cls.from_json(summary)


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
    # here, not at the top: reading a summary back (`augment compare`, the table, the report)
    # then needs no classifiers, arms or metrics
    from augment.arms import get
    from augment.classify import resolve_classifier
    from augment.evaluate import deltas_and_gap, summarize_arms
    from augment.experiment.pairing import gan_seeds, generator_of
    from augment.experiment.quality import mean_quality, per_generator_means
    from augment.experiment.verdict import verdict

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
        seeds=cfg.n_classifier_seeds,
        classifier=resolve_classifier(cfg.classifier, data.kind),
        gan_epochs=cfg.gan.epochs,
        sampling_strategy=cfg.sampling_strategy,
        **compared,
        gan_seeds=gan_seeds(cfg) if gan_arms else [],
        generator_of_seed=(
            [generator_of(s, k) for s in range(cfg.n_classifier_seeds)] if gan_arms else []
        ),
        per_generator={a: per_generator_means(results[a].per_seed, k) for a in gan_arms},
        synthetic_quality_per_generator={m: [q[m] for q in per_gen_quality] for m in quality_mean},
        verdict=verdict(compared),
    )


_LATE = ("leakage_check", "memorisation", "report", "generator_uri")


def _blank(annotation: str) -> Any:
    """The value of a key missing from a summary read back: empty for containers, else None."""
    if annotation.endswith("| None"):
        return None
    if annotation.startswith(("dict", "ArmAggregates")):
        return {}
    return [] if annotation.startswith("list") else None
