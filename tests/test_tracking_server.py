"""Against a real `mlflow server` over HTTP: the flow's runs, metrics, artifacts, dataset inputs
and registered generator, read back through the client; `augment generate` and `compare` on them.
"""

from __future__ import annotations

import json
import re

import mlflow
import pandas as pd
import pytest
from _servers import mlflow_server
from mlflow.tracking import MlflowClient

from augment.cli import main
from augment.config import build_config
from augment.tracking.fluent import tracking_store

pytestmark = [pytest.mark.server, pytest.mark.usefixtures("prefect_harness")]


@pytest.fixture(scope="module")
def server_run(tmp_path_factory, prefect_harness):
    """One flow run (wine, 1 epoch, 2 seeds) tracked on a real server; the server lives for the
    module and is stopped at the end."""
    from flows import augmentation_flow

    tmp = tmp_path_factory.mktemp("mlflow-server")
    with mlflow_server(tmp) as url, pytest.MonkeyPatch.context() as mp:
        mp.chdir(tmp)
        mp.setenv("MLFLOW_TRACKING_URI", url)
        (tmp / "mlflow.yml").write_text(
            "experiment: server-test\nregistered_model: augment-generator\ntags: {suite: ci}\n"
        )
        cfg = build_config(
            {
                "data": {"source": "builtin:wine", "imbalance_fraction": 0.3},
                "gan": {"epochs": 1},
                "seeds": 2,
                "arms": ["baseline", "gan", "smote"],
                "orchestration": {"cache_dir": str(tmp / "cache")},
            }
        )
        summary = augmentation_flow(cfg)
        yield url, tmp, summary


def test_runs_metrics_artifacts_and_dataset_read_back(server_run):
    url, _, summary = server_run
    client = MlflowClient(url)
    parent = client.get_run(summary["mlflow_run_id"])
    assert parent.info.status == "FINISHED"
    tags = parent.data.tags
    assert tags["dataset"] == "builtin:wine" and len(tags["dataset_hash"]) == 64
    assert tags["prefect_flow_run_id"] and tags["suite"] == "ci" and "git_commit" in tags
    assert tags["gan_cached"] == "false"
    expected = {"c2st_auc", "tstr_balanced_accuracy", "gan_d_loss", "delta_macro_f1_gan"}
    assert expected <= set(parent.data.metrics)
    contexts = {
        next(t.value for t in d.tags if t.key == "mlflow.data.context")
        for d in parent.inputs.dataset_inputs
    }
    assert contexts == {"train", "test"}
    children = client.search_runs(
        [parent.info.experiment_id],
        filter_string=f"tags.mlflow.parentRunId = '{parent.info.run_id}'",
    )
    by_arm = {r.data.tags["arm"]: r for r in children}
    assert set(by_arm) == {"baseline", "gan", "smote"}
    gan = by_arm["gan"].data.metrics
    agg = summary["arms"]["gan"]["balanced_accuracy"]
    assert gan["balanced_accuracy"] == pytest.approx(agg["mean"])
    assert gan["balanced_accuracy_ci95_low"] == pytest.approx(agg["ci95"][0])
    history = client.get_metric_history(by_arm["gan"].info.run_id, "balanced_accuracy_per_seed")
    assert sorted(m.value for m in history) == pytest.approx(sorted(agg["values"]))
    plots = {a.path for a in client.list_artifacts(parent.info.run_id, "plots")}
    assert {"plots/class_marginals.png", "plots/gan_loss_curves.png"} <= plots
    path = client.download_artifacts(parent.info.run_id, "summary.json")
    with open(path) as f:
        assert json.load(f)["arms"]["smote"] == summary["arms"]["smote"]


def test_generator_registered_with_alias_and_samples_per_class(server_run):
    url, _, summary = server_run
    client = MlflowClient(url)
    version = client.get_model_version_by_alias("augment-generator", "current")
    assert version.run_id == summary["mlflow_run_id"]
    with tracking_store(url):  # the process-wide URI is put back: later tests read their own
        model = mlflow.pyfunc.load_model("models:/augment-generator@current")
    assert model.metadata.signature.inputs.input_names() == ["class", "n"]
    out = model.predict(pd.DataFrame({"class": ["class_2", "class_0"], "n": [3, 2]}))
    # a table's samples carry their class in the table's own label column
    label = model.metadata.metadata["label"]
    assert out[label].tolist() == ["class_2"] * 3 + ["class_0"] * 2
    assert "alcohol" in out.columns


def test_cli_generate_writes_n_per_class_never_overwrites(server_run, monkeypatch, capsys):
    url, tmp, summary = server_run
    monkeypatch.chdir(tmp)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", url)
    out = tmp / "synthetic.csv"
    uri = f"runs:/{summary['mlflow_run_id']}/generator"
    assert main(["generate", uri, "--n", "7", "--out", str(out)]) == 0
    df = pd.read_csv(out)
    assert df["target"].value_counts().to_dict() == {"class_0": 7, "class_1": 7, "class_2": 7}
    assert df["is_synthetic"].all()
    before = out.read_bytes()
    assert main(["generate", uri, "--n", "2", "--out", str(out)]) == 2
    assert "already exists" in capsys.readouterr().err and out.read_bytes() == before
    pq = tmp / "synthetic.parquet"
    gen = ["generate", "models:/augment-generator@current", "--n", "4", "--class", "class_1"]
    assert main([*gen, "--out", str(pq)]) == 0
    assert pd.read_parquet(pq)["target"].tolist() == ["class_1"] * 4
    assert main([*gen, "--out", str(out), "--force"]) == 0 and len(pd.read_csv(out)) == 4
    assert main(["generate", uri, "--n", "1", "--class", "nope", "--out", str(tmp / "x.csv")]) == 2
    assert not (tmp / "x.csv").exists()


def test_cli_compare_matches_json_summary(server_run, monkeypatch, capsys):
    url, tmp, summary = server_run
    monkeypatch.chdir(tmp)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", url)
    capsys.readouterr()
    plot = tmp / "compare.png"
    assert main(["compare", "--experiment", "server-test", "--last", "3", "--plot", str(plot)]) == 0
    printed = capsys.readouterr().out
    assert summary["mlflow_run_id"] in printed and plot.stat().st_size > 0
    for arm, res in summary["arms"].items():
        line = next(ln for ln in printed.splitlines() if re.match(rf"{arm}\s", ln))
        for m in ("balanced_accuracy", "macro_f1", "accuracy", "minority_recall"):
            a = res[m]
            cell = f"{a['mean']:.3f}±{a['std']:.3f} [{a['ci95'][0]:.3f},{a['ci95'][1]:.3f}]"
            assert cell in line, (arm, m, cell, line)


def test_the_start_probe_passes_a_live_server_in_seconds(server_run, monkeypatch, capsys):
    """Every command probes the store first (one request, no retries): a live server passes,
    and `augment ui` then names it."""
    import time

    from augment.tracking import load_tracking_config
    from augment.tracking.probe import check_store

    url, tmp, _ = server_run
    monkeypatch.chdir(tmp)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", url)
    start = time.monotonic()
    for write in (False, True):
        check_store(load_tracking_config(), write=write, timeout_s=5)
    assert time.monotonic() - start < 10
    capsys.readouterr()
    assert main(["ui"]) == 0
    assert f"runs are tracked on the server {url}" in capsys.readouterr().out
