"""Logging a benchmark-suite result as one MLflow experiment: a summary run, a run per table."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from augment.tracking.config import TrackingConfig
from augment.tracking.log import Tracker


def log_suite(
    cfg: TrackingConfig,
    result: dict[str, Any],
    table_md: str,
    plot_path: Path | None = None,
) -> str:
    """Log a benchmark-suite result (`augment.suite.SuiteResult.to_dict()`) to ``cfg.experiment``.

    A summary run (mean ranks, Friedman, CD, win/tie/loss counts; the table as markdown and
    JSON, and the CD plot as artifacts) and, as its children, one run per table: params (table,
    rows, features, nominal, classes, folds, repeats, gan seeds), per classifier/arm metrics
    ``{clf}/{arm}/mean|ci95_low|ci95_high|resample_s|resample_cpu_s|fit_s`` and the per-fold
    balanced accuracy as the steps of ``{clf}/{arm}/fold``. Returns the summary run id.
    """
    tracker = Tracker(cfg)
    conf = result["config"]
    summary = result["summary"]
    params = {k: conf[k] for k in ("folds", "repeats", "gan_seeds", "seed", "n_jobs")}
    params.update(arms=",".join(conf["arms"]), classifiers=",".join(conf["classifiers"]))
    parent = tracker.start_parent("suite", params, {"kind": "suite"})
    metrics = {f"rank/{a}": r for a, r in summary["ranks"].items()}
    metrics.update({f"top/{a}": c for a, c in summary["top"].items()})
    for arm, c in summary["counts"].items():
        metrics.update({f"{arm}/{k}": v for k, v in c.items()})
    if summary["friedman"]:
        metrics.update({f"friedman/{k}": v for k, v in summary["friedman"].items()})
        metrics["nemenyi_cd"] = summary["cd"]
    metrics.update(wall_s=result["timing"]["wall_s"], cpu_s=result["timing"]["cpu_s"])
    tracker.log_metrics(parent, {k: v for k, v in metrics.items() if np.isfinite(v)})
    by_table: dict[str, list[dict[str, Any]]] = {}
    for row in summary["rows"]:
        by_table.setdefault(row["table"], []).append(row)
    for info in result["tables"]:
        run = tracker.client.create_run(
            tracker.experiment_id(),
            run_name=info["table"],
            tags={"mlflow.parentRunId": parent, "kind": "suite-table", **cfg.tags},
        )
        rid = run.info.run_id
        from mlflow.entities import Param

        table_params = {
            **{k: info[k] for k in ("table", "rows", "features", "nominal", "classes")},
            **{k: conf[k] for k in ("folds", "repeats", "gan_seeds")},
        }
        if "removed" in info:
            table_params["removed_rows"] = info["removed"]["n_removed"]
        tracker.client.log_batch(rid, params=[Param(k, str(v)) for k, v in table_params.items()])
        for row in by_table.get(info["table"], []):
            clf = row["classifier"]
            final: dict[str, float] = {}
            for arm, v in row["arms"].items():
                p = f"{clf}/{arm}"
                final.update(
                    {
                        f"{p}/mean": v["mean"],
                        f"{p}/ci95_low": v["ci95"][0],
                        f"{p}/ci95_high": v["ci95"][1],
                        f"{p}/resample_s": v["resample_s"],
                        f"{p}/resample_cpu_s": v.get("resample_cpu_s", float("nan")),
                        f"{p}/fit_s": v["fit_s"],
                    }
                )
                tracker.log_history(
                    rid, [{"epoch": i, "fold": x} for i, x in enumerate(v["values"])], f"{p}/"
                )
            for arm, c in row["vs_best"].items():
                final.update({f"{clf}/{arm}/diff_vs_best": c["diff"], f"{clf}/{arm}/p": c["p"]})
            tracker.log_metrics(rid, {k: v for k, v in final.items() if np.isfinite(v)})
        tracker.finish(rid)
    with tempfile.TemporaryDirectory() as tmp:
        md = Path(tmp) / "suite.md"
        md.write_text(table_md, encoding="utf-8")
        tracker.log_artifact(parent, md)
    tracker.log_json(parent, result, "suite.json")
    if plot_path is not None:
        tracker.log_artifact(parent, Path(plot_path))
    tracker.finish(parent)
    return parent
