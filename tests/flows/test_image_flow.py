"""The image flow logs diversity per epoch, sample grids every N epochs and image metrics."""

import pytest
from mlflow.tracking import MlflowClient

from augment.config import build_config
from flows import augmentation_flow


@pytest.mark.usefixtures("prefect_harness")
def test_image_flow_grids_diversity_and_quality(mlflow_tmp):
    cfg = build_config(
        {
            "gan": {"epochs": 2, "eval_every": 1, "grid_every": 2},
            "seeds": 1,
            "arms": ["baseline", "classical", "gan+classical"],
            "classifier": "logistic_regression",
        }
    )
    summary = augmentation_flow(cfg)
    assert set(summary["arms"]) == {"baseline", "classical", "gan+classical"}
    q = summary["synthetic_quality"]
    assert {"fid_domain", "precision", "recall", "density", "coverage"} <= set(q)
    assert 0.0 <= q["tstr_balanced_accuracy"] <= 1.0
    client = MlflowClient(mlflow_tmp)
    run_id = summary["mlflow_run_id"]
    grids = {a.path for a in client.list_artifacts(run_id, "plots/grid_by_epoch")}
    assert grids == {"plots/grid_by_epoch/sample_grid_epoch0002.png"}
    assert len(client.get_metric_history(run_id, "gan_diversity_min")) == 2
    assert "delta_balanced_accuracy_gan_and_classical" in client.get_run(run_id).data.metrics
