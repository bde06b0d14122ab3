"""The image flow (one run, shared by the checks: an image flow costs a minute on a busy box)
logs diversity per epoch, sample grids every N epochs, image metrics and the sample grid, and
its generator writes PNGs through `augment generate`."""

import pytest
from mlflow.tracking import MlflowClient

from augment.config import build_config
from flows import augmentation_flow


@pytest.mark.usefixtures("prefect_harness")
def test_image_flow_grids_diversity_quality_and_generated_pngs(mlflow_tmp, tmp_path):
    cfg = build_config(
        {
            "gan": {"epochs": 2, "eval_every": 1, "grid_every": 2},
            "seeds": 1,
            "arms": ["baseline", "gan", "classical", "gan+classical"],
            "classifier": "logistic_regression",
            "orchestration": {"cache_dir": str(tmp_path / "cache")},
        }
    )
    summary = augmentation_flow(cfg)
    assert set(summary["arms"]) == {"baseline", "gan", "classical", "gan+classical"}
    assert summary["gap_recovered"] == {}  # no oracle arm: nothing to recover a gap towards
    q = summary["synthetic_quality"]
    assert {"fid_domain", "precision", "recall", "density", "coverage"} <= set(q)
    assert 0.0 <= q["tstr_balanced_accuracy"] <= 1.0
    client = MlflowClient(mlflow_tmp)
    run_id = summary["mlflow_run_id"]
    grids = {a.path for a in client.list_artifacts(run_id, "plots/grid_by_epoch")}
    assert grids == {"plots/grid_by_epoch/sample_grid_epoch0002.png"}
    assert len(client.get_metric_history(run_id, "gan_diversity_min")) == 2
    assert "delta_balanced_accuracy_gan_and_classical" in client.get_run(run_id).data.metrics
    plots = {a.path for a in client.list_artifacts(run_id, "plots")}
    assert "plots/sample_grid.png" in plots
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
