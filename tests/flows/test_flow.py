"""End to end: the real Prefect flow (test server) with real MLflow (SQLite in a tmp dir)."""

import mlflow
import numpy as np
import pytest
from mlflow.tracking import MlflowClient
from scipy import stats

from augment.config import build_config
from flows import augmentation_flow


@pytest.mark.usefixtures("prefect_harness")
def test_flow_end_to_end_tracks_parent_and_children(mlflow_tmp):
    cfg = build_config(
        {
            "data": {"source": "builtin:wine", "imbalance_fraction": 0.2},
            "gan": {"epochs": 2, "batch_size": 32},
            "seeds": 2,
        }
    )
    summary = augmentation_flow(cfg)
    assert set(summary["arms"]) == {"baseline", "gan", "smote", "oracle"}
    for res in summary["arms"].values():
        for m in ("balanced_accuracy", "macro_f1", "accuracy", "minority_recall"):
            values = res[m]["values"]
            assert len(values) == 2 and res[m]["mean"] == pytest.approx(np.mean(values))
            # t interval over 2 seeds: mean -/+ t(0.975, 1) * std / sqrt(2), clipped to [0, 1]
            half = stats.t.ppf(0.975, 1) * np.std(values, ddof=1) / np.sqrt(2)
            lo, hi = max(0.0, np.mean(values) - half), min(1.0, np.mean(values) + half)
            assert res[m]["ci95"] == pytest.approx([lo, hi])
    assert set(summary["gap_recovered"]) == {"gan", "smote"}
    assert 0.0 <= summary["synthetic_quality"]["c2st_auc"] <= 1.0

    client = MlflowClient(mlflow_tmp)
    parent = mlflow.get_run(summary["mlflow_run_id"])
    assert parent.info.status == "FINISHED"
    assert parent.data.tags["dataset"] == "builtin:wine"
    assert "gan_d_loss" in parent.data.metrics
    children = client.search_runs(
        [parent.info.experiment_id],
        filter_string=f"tags.mlflow.parentRunId = '{parent.info.run_id}'",
    )
    by_arm = {r.data.tags["arm"]: r for r in children}
    assert set(by_arm) == set(summary["arms"])
    for child in by_arm.values():  # filterable like the parent; the classifier as resolved
        assert child.data.tags["dataset"] == "builtin:wine"
        assert child.data.params["classifier"] == "random_forest"
    assert by_arm["smote"].data.metrics["balanced_accuracy"] == pytest.approx(
        summary["arms"]["smote"]["balanced_accuracy"]["mean"]
    )
    artifacts = {a.path for a in client.list_artifacts(parent.info.run_id)}
    assert "summary.json" in artifacts and "plots" in artifacts
    plots = {a.path for a in client.list_artifacts(parent.info.run_id, "plots")}
    assert "plots/gan_loss_curves.png" in plots and "plots/confusion_gan.png" in plots
