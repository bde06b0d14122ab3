"""Logging a learning curve (`augment curve`) as one MLflow run."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from augment.names import safe_name
from augment.tracking.config import TrackingConfig
from augment.tracking.log import Tracker


def curve_metrics(curve: dict[str, Any]) -> list[tuple[str, float, int]]:
    """``(key, value, step)`` per fraction and arm; the step is the real minority rows, so
    MLflow's metric chart of ``<arm>/balanced_accuracy`` is the curve itself."""
    out = []
    metric = curve["metric"]
    for p in curve["points"]:
        step = int(p["minority_rows"])
        out.append(("fraction", p["fraction"], step))
        for arm, entry in p["arms"].items():
            a = safe_name(arm)
            agg = entry["metrics"][metric]
            out += [
                (f"{a}/{metric}", agg["mean"], step),
                (f"{a}/{metric}_ci95_low", agg["ci95"][0], step),
                (f"{a}/{metric}_ci95_high", agg["ci95"][1], step),
            ]
            for end, w in (entry.get("worth") or {}).items():
                if w["where"] == "on":  # below / beyond have no number: the JSON says which
                    out.append((f"{a}/worth_fraction_{end}", w["fraction"], step))
                    out.append((f"{a}/worth_rows_{end}", w["rows"], step))
            gain = entry.get("real_rows_per_added_row")
            if gain is not None:
                out.append((f"{a}/real_rows_per_added_row", gain, step))
    return [(k, float(v), s) for k, v, s in out if v is not None and math.isfinite(v)]


def log_curve(
    cfg: TrackingConfig,
    curve: dict[str, Any],
    params: dict[str, Any],
    artifacts: Callable[[str], list[Path]],
    json_name: str = "curve.json",
) -> str:
    """One parent run (tag ``kind=curve``; no ``dataset`` tag, so `augment compare` leaves it
    out): ``params``, the curve's metrics per fraction and arm (`curve_metrics`), the curve as
    JSON (with this run's id) and the files ``artifacts(run_id)`` writes (the PNG, the HTML
    page). Marked FAILED if anything stops it half-way. Returns the run id."""
    from mlflow.entities import Metric

    tracker = Tracker(cfg)
    tags = {"kind": "curve", "curve.dataset": str(curve.get("dataset", ""))}
    run_id = tracker.start_parent(f"curve-{curve.get('dataset', '')}", params, tags)
    try:
        now = int(time.time() * 1000)
        items = [Metric(k, v, now, s) for k, v, s in curve_metrics(curve)]
        for i in range(0, len(items), 1000):
            tracker.client.log_batch(run_id, metrics=items[i : i + 1000])
        tracker.log_json(run_id, {**curve, "mlflow_run_id": run_id}, json_name)
        for path in artifacts(run_id):
            tracker.log_artifact(run_id, Path(path))
    except BaseException:
        tracker.finish(run_id, "FAILED")
        raise
    tracker.finish(run_id)
    return run_id
