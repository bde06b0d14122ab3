"""`Summary`: a run's results, typed, and the JSON summary they are written as.

`augment.experiment.build_summary` makes one from the arms' results; the facts known only later
in a run (the leakage and memorisation checks, the report's path, the logged generator's URI)
are added by the ``with_*`` methods here and nowhere else. The table, the verdict, the HTML
report and the MLflow record read its attributes; `Summary.to_json` is the JSON summary
(docs/reference.md, "The JSON summary"), key for key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

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
    seeds: int  # classifier seeds per arm
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
    verdict: dict[str, Any]  # `augment.verdict.verdict`
    # the late facts: None until added (`with_checks`, `with_report`, `with_generator`)
    leakage_check: dict[str, Any] | None = None  # `augment.leakage.check_no_leakage`
    memorisation: dict[str, Any] | None = None  # `augment.memorisation`; None without a GAN
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


_LATE = ("leakage_check", "memorisation", "report", "generator_uri")


def _blank(annotation: str) -> Any:
    """The value of a key missing from a summary read back: empty for containers, else None."""
    if annotation.endswith("| None"):
        return None
    if annotation.startswith(("dict", "ArmAggregates")):
        return {}
    return [] if annotation.startswith("list") else None
