"""The fitted GAN is cached across flow runs: same data + config reuses it, a changed GAN
config or `retrain` trains again; each run publishes a Prefect markdown artifact."""

from __future__ import annotations

import httpx
import pytest
from mlflow.tracking import MlflowClient

from augment.config import build_config
from flows import augmentation_flow

pytestmark = pytest.mark.usefixtures("prefect_harness")


def _cfg(tmp_path, epochs: int = 1, retrain: bool = False):
    return build_config(
        {
            "data": {"source": "builtin:wine"},
            "gan": {"epochs": epochs},
            "seeds": 1,
            "arms": ["baseline", "gan"],
            "orchestration": {"cache_dir": str(tmp_path / "cache"), "retrain": retrain},
        }
    )


def _tags(uri: str, summary: dict) -> dict[str, str]:
    return MlflowClient(uri).get_run(summary["mlflow_run_id"]).data.tags


def test_second_identical_run_reuses_gan_changed_epochs_or_retrain_trains(tmp_path, mlflow_tmp):
    first = _tags(mlflow_tmp, augmentation_flow(_cfg(tmp_path)))
    assert first["gan_cached"] == "false"
    model_file = tmp_path / "cache" / "models" / f"{first['gan_cache_key']}.pt"
    mtime = model_file.stat().st_mtime_ns

    results = tmp_path / "cache" / "results"
    evals = {f.name: f.stat().st_mtime_ns for f in results.iterdir() if f.name.startswith("eval-")}
    assert len(evals) == 2 + 1  # baseline and gan x 1 seed, and the quality metrics

    second_summary = augmentation_flow(_cfg(tmp_path))
    # arm x seed evaluations and quality were replayed from the cache, not recomputed
    again = {f.name: f.stat().st_mtime_ns for f in results.iterdir() if f.name.startswith("eval-")}
    assert again == evals
    second = _tags(mlflow_tmp, second_summary)
    assert second["gan_cached"] == "true" and second["gan_cache_key"] == first["gan_cache_key"]
    assert model_file.stat().st_mtime_ns == mtime  # not written again
    # the reused GAN's loss curve is still on the new run
    client = MlflowClient(mlflow_tmp)
    assert client.get_metric_history(second_summary["mlflow_run_id"], "gan_d_loss")

    changed = _tags(mlflow_tmp, augmentation_flow(_cfg(tmp_path, epochs=2)))
    assert changed["gan_cached"] == "false" and changed["gan_cache_key"] != first["gan_cache_key"]

    forced_summary = augmentation_flow(_cfg(tmp_path, retrain=True))
    forced = _tags(mlflow_tmp, forced_summary)
    assert forced["gan_cached"] == "false" and forced["gan_cache_key"] == first["gan_cache_key"]
    assert model_file.stat().st_mtime_ns != mtime
    _assert_markdown_artifact(forced_summary, forced["prefect_flow_run_id"])


def _assert_markdown_artifact(summary: dict, flow_run_id: str) -> None:
    """The flow run's `augment-comparison` artifact is a markdown table and link (the session's
    Prefect server is shared by every test process: the newest one may be another test's)."""
    from prefect.settings import get_current_settings

    # raw REST: the client's read_artifacts sends nulls this server version rejects (422)
    body = {
        "artifacts": {
            "key": {"any_": ["augment-comparison"]},
            "flow_run_id": {"any_": [flow_run_id]},
        }
    }
    url = f"{get_current_settings().api.url}/artifacts/filter"
    arts = httpx.post(url, json={**body, "limit": 10, "offset": 0}, timeout=30).json()
    assert len(arts) == 1 and arts[0]["type"] == "markdown", arts
    text = arts[0]["data"]
    assert summary["mlflow_run_id"] in text
    assert "| **gan** |" in text and "balanced_accuracy" in text
    b = summary["arms"]["baseline"]["balanced_accuracy"]
    assert f"{b['mean']:.3f}" in text
