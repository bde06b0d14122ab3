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


@pytest.mark.usefixtures("prefect_harness")
def test_image_flow_logs_sample_grid(mlflow_tmp, tmp_path):
    cfg = build_config(
        {
            "gan": {"epochs": 1},
            "seeds": 1,
            "arms": ["baseline", "gan"],
            "orchestration": {"cache_dir": str(tmp_path / "cache")},
        }
    )
    summary = augmentation_flow(cfg)
    client = MlflowClient(mlflow_tmp)
    plots = {a.path for a in client.list_artifacts(summary["mlflow_run_id"], "plots")}
    assert "plots/sample_grid.png" in plots
    assert "oracle" not in summary["arms"] and summary["gap_recovered"] == {}
    _generate_images(summary, tmp_path)


def _generate_images(summary, tmp_path):
    """`augment generate` on the run's image generator: n PNGs per class, a manifest, no
    overwrite without --force."""
    import pandas as pd
    from PIL import Image

    from augment.cli import main

    uri = summary["generator_uri"]
    out = tmp_path / "synthetic"
    assert (
        main(["generate", uri, "--n", "3", "--class", "5", "--class", "9", "--out", str(out)]) == 0
    )
    assert sorted(p.name for p in out.iterdir()) == ["5", "9", "manifest.csv"]
    for cls in ("5", "9"):
        files = sorted((out / cls).glob("*.png"))
        assert len(files) == 3
        with Image.open(files[0]) as img:
            assert img.size == (8, 8) and img.mode == "L"
    manifest = pd.read_csv(out / "manifest.csv")
    assert len(manifest) == 6 and manifest["is_synthetic"].all()
    # an existing folder is kept unless --force; with --force it is replaced whole
    assert main(["generate", uri, "--n", "1", "--out", str(out)]) == 2
    assert len(list((out / "5").glob("*.png"))) == 3
    assert main(["generate", uri, "--n", "1", "--out", str(out), "--force"]) == 0
    assert len(list(out.glob("*/*.png"))) == 10
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".synthetic")]
