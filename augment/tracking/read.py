"""Reading runs back: the recent parent runs of an experiment with their arms' aggregates."""

from __future__ import annotations

from typing import Any

import mlflow
import pandas as pd

from augment.exceptions import ConfigError


def comparison(tracker, last: int = 5, dataset: str | None = None) -> list[dict[str, Any]]:
    """The last ``last`` finished parent runs of the experiment (of ``dataset`` only, if given)
    with their arms' aggregates.

    Each item: ``{"run_id", "run_name", "dataset", "start_time", "config": {"epochs", "seeds",
    "classifier", "gan_seeds"}, "verdict", "arms": {arm: {metric: {"mean", "std", "ci95": [lo,
    hi]}}}}``, read back with ``mlflow.search_runs``.
    """
    mlflow.set_tracking_uri(tracker.cfg.tracking_uri)
    if tracker.client.get_experiment_by_name(tracker.cfg.experiment) is None:
        raise ConfigError(
            f"no MLflow experiment {tracker.cfg.experiment!r} at {tracker.cfg.tracking_uri}"
        )
    df = mlflow.search_runs(
        experiment_names=[tracker.cfg.experiment],
        order_by=["attributes.start_time DESC"],
        max_results=50_000,
    )
    if df.empty:
        return []
    parent_col = "tags.mlflow.parentRunId"
    if parent_col not in df:
        df[parent_col] = None
    is_parent = df[parent_col].isna() & (df["status"] == "FINISHED")
    if "tags.dataset" in df:
        is_parent &= df["tags.dataset"].notna()
        if dataset is not None:
            is_parent &= df["tags.dataset"] == dataset
    elif dataset is not None:
        return []
    parents = df[is_parent].head(last)
    out = []
    for _, p in parents.iterrows():
        kids = df[df[parent_col] == p["run_id"]]
        arms: dict[str, dict[str, Any]] = {}
        for _, k in kids.sort_values("start_time").iterrows():
            arms[k["tags.arm"]] = _aggregates_from_row(k)
        out.append(
            {
                "run_id": p["run_id"],
                "run_name": p.get("tags.mlflow.runName"),
                "dataset": p.get("tags.dataset"),
                "start_time": p["start_time"],
                "config": _config(p, kids),
                "verdict": _value(p, "tags.augment.verdict"),
                "arms": arms,
            }
        )
    return out


def _value(row: pd.Series, col: str) -> Any:
    v = row.get(col)
    return None if v is None or (not isinstance(v, str) and pd.isna(v)) else v


def _config(parent: pd.Series, kids: pd.DataFrame) -> dict[str, Any]:
    """What the run was asked to do: GAN epochs, seeds, the classifier as resolved (the arms'
    runs have it; the parent's config may say ``auto``) and the number of generators."""
    given = kids.get("params.classifier", pd.Series(dtype=object))
    resolved = [c for c in given if isinstance(c, str)]
    return {
        "epochs": _value(parent, "params.config.gan.epochs"),
        "seeds": _value(parent, "params.config.seeds"),
        "classifier": resolved[0] if resolved else _value(parent, "params.config.classifier"),
        "gan_seeds": _value(parent, "params.gan.seeds"),
    }


def _aggregates_from_row(row: pd.Series) -> dict[str, Any]:
    """``metric -> {mean, std, ci95}`` from a child run's ``metrics.*`` columns."""
    from augment.evaluate import METRICS

    res = {}
    for m in METRICS:
        col = f"metrics.{m}"
        if col not in row or pd.isna(row[col]):
            continue
        res[m] = {
            "mean": float(row[col]),
            "std": float(row.get(f"metrics.{m}_std", float("nan"))),
            "ci95": [
                float(row.get(f"metrics.{m}_ci95_low", float("nan"))),
                float(row.get(f"metrics.{m}_ci95_high", float("nan"))),
            ],
        }
    return res
