"""`orchestration.runner: dask` on a real LocalCluster (2 worker processes) gives the summary the
thread pool gives: arms x seeds are seeded tasks, wherever they run."""

import pytest

pytest.importorskip("prefect_dask")  # the `dask` extra; the `dev` extra installs it for CI


def test_dask_local_cluster_matches_the_thread_pool(mlflow_tmp, prefect_harness, tmp_path):
    from augment.config import build_config
    from flows import augmentation_flow

    def run(runner: str) -> dict:
        values = {
            "data": {"source": "builtin:wine", "imbalance_fraction": 0.2},
            "gan": {"epochs": 2, "batch_size": 32},
            "seeds": 2,
            "arms": ["baseline", "smote", "gan"],
            # separate caches: the second run must compute, not replay the first
            "orchestration": {
                "runner": runner,
                "max_workers": 2,
                "cache_dir": str(tmp_path / f"cache-{runner}"),
            },
        }
        return augmentation_flow(build_config(values))

    threads, dask = run("thread"), run("dask")
    assert set(dask["arms"]) == set(threads["arms"]) == {"baseline", "gan", "smote"}
    for arm, metrics in threads["arms"].items():
        assert dask["arms"][arm]["balanced_accuracy"]["values"] == pytest.approx(
            metrics["balanced_accuracy"]["values"], abs=1e-12
        ), arm
    assert dask["leakage_check"]["passed"]
