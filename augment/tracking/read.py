"""Reading runs back: the recent parent runs of an experiment with their arms' aggregates.

Reads open the store read-only (`read_only_uri`): `augment compare` writes nothing, not even
the lock file beside a SQLite store, and works on a store it may not write.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from augment.exceptions import ConfigError
from augment.tracking.config import TrackingConfig, read_only_uri

_PAGE = 1000  # runs per search request


def matching_datasets(given: str, recorded: list[str]) -> list[str]:
    """The recorded dataset names ``given`` means: the same text, else the same file or folder
    (a relative path and the absolute one a run recorded), else the same file name when only
    one recorded dataset has it. Several with that name: `ConfigError` listing them."""
    if given in recorded:
        return [given]

    def where(name: str) -> Path | None:
        return None if name.startswith("builtin:") else Path(name).expanduser().resolve()

    same = [r for r in recorded if where(r) is not None and where(r) == where(given)]
    if same:
        return same
    named = [r for r in recorded if not r.startswith("builtin:") and Path(r).name == given]
    if len(named) > 1:
        raise ConfigError(
            f"--dataset {given!r} matches {len(named)} recorded datasets: "
            f"{', '.join(named[:5])}; give one of them"
        )
    return named


def comparison(source, last: int = 5, dataset: str | None = None) -> list[dict[str, Any]]:
    """The last ``last`` finished parent runs of the experiment (of ``dataset`` only, if given)
    with their arms' aggregates; ``source`` is a `TrackingConfig` (or a `Tracker`: its config).

    Each item: ``{"run_id", "run_name", "dataset", "start_time", "config": {"epochs", "seeds",
    "classifier", "gan_seeds"}, "verdict", "arms": {arm: {metric: {"mean", "std", "ci95": [lo,
    hi]}}}}``.
    """
    from mlflow.tracking import MlflowClient

    cfg: TrackingConfig = getattr(source, "cfg", source)
    client = MlflowClient(tracking_uri=read_only_uri(cfg.tracking_uri))
    experiment = client.get_experiment_by_name(cfg.experiment)
    if experiment is None:
        raise ConfigError(f"no MLflow experiment {cfg.experiment!r} at {cfg.tracking_uri}")
    df = _runs_frame(client, experiment.experiment_id)
    if df.empty:
        return []
    parent_col = "tags.mlflow.parentRunId"
    if parent_col not in df:
        df[parent_col] = None
    is_parent = df[parent_col].isna() & (df["status"] == "FINISHED")
    if "tags.dataset" in df:
        is_parent &= df["tags.dataset"].notna()
        if dataset is not None:
            recorded = sorted(set(df.loc[is_parent, "tags.dataset"]))
            is_parent &= df["tags.dataset"].isin(matching_datasets(dataset, recorded))
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


def _runs_frame(client, experiment_id: str, most: int = 50_000) -> pd.DataFrame:
    """The experiment's runs, newest first, one row each: ``run_id``, ``status``,
    ``start_time`` (UTC) and ``metrics.*``, ``params.*``, ``tags.*`` columns (as
    ``mlflow.search_runs`` gives them, without setting the process's tracking URI)."""
    rows: list[dict[str, Any]] = []
    token = None
    while len(rows) < most:
        page = client.search_runs(
            [experiment_id],
            max_results=min(_PAGE, most - len(rows)),
            order_by=["attributes.start_time DESC"],
            page_token=token,
        )
        for run in page:
            row = {
                "run_id": run.info.run_id,
                "status": run.info.status,
                "start_time": pd.to_datetime(run.info.start_time, unit="ms", utc=True),
            }
            row |= {f"metrics.{k}": v for k, v in run.data.metrics.items()}
            row |= {f"params.{k}": v for k, v in run.data.params.items()}
            row |= {f"tags.{k}": v for k, v in run.data.tags.items()}
            rows.append(row)
        token = page.token
        if not token:
            break
    df = pd.DataFrame(rows)
    # absent params and tags are None (as in mlflow.search_runs), absent metrics NaN
    texts = [c for c in df.columns if c.startswith(("params.", "tags."))]
    df[texts] = df[texts].astype(object).where(df[texts].notna(), None)
    return df


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


def run_tags(tracking, run_id: str) -> dict[str, str]:
    """The tags of run ``run_id`` in the store ``tracking`` (a `TrackingConfig`)."""
    from mlflow.tracking import MlflowClient

    return dict(MlflowClient(tracking.tracking_uri).get_run(run_id).data.tags)
