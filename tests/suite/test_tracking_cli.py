"""The suite's MLflow logging (read back from a real store) and its CLI."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

from mlflow.tracking import MlflowClient

from augment.suite import classical_arms, run_suite
from augment.tracking import TrackingConfig, log_suite

from .test_protocol import tiny_table

ROOT = Path(__file__).resolve().parents[2]


def test_log_suite_reads_back(tmp_path):
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    res = run_suite(
        [tiny_table(), "builtin:wine"],
        classical_arms(),
        ["logistic_regression"],
        folds=2,
        repeats=2,
    )
    cfg = TrackingConfig(tracking_uri=uri, experiment="suite-test")
    parent = log_suite(cfg, res.to_dict(), "| table |", None)
    client = MlflowClient(tracking_uri=uri)
    exp = client.get_experiment_by_name("suite-test")
    runs = client.search_runs([exp.experiment_id])
    assert len(runs) == 3  # summary + one per table
    kids = [r for r in runs if r.data.tags.get("mlflow.parentRunId") == parent]
    wine = next(r for r in kids if r.info.run_name == "builtin:wine")
    assert wine.data.params["rows"] == "135" and wine.data.params["folds"] == "2"
    assert wine.data.params["removed_rows"] == "43"
    row = next(r for r in res.summary["rows"] if r["table"] == "builtin:wine")
    m = wine.data.metrics
    assert m["logistic_regression/smote/mean"] == row["arms"]["smote"]["mean"]
    hist = client.get_metric_history(wine.info.run_id, "logistic_regression/smote/fold")
    assert [h.value for h in sorted(hist, key=lambda h: h.step)] == row["arms"]["smote"]["values"]
    summary = client.get_run(parent)
    assert summary.data.metrics["rank/baseline"] == res.summary["ranks"]["baseline"]
    assert summary.data.metrics["top/smote"] == res.summary["top"]["smote"]
    names = {a.path for a in client.list_artifacts(parent)}
    assert {"suite.md", "suite.json"} <= names


def test_cli_writes_table_json_and_plot(tmp_path, capsys):
    spec = importlib.util.spec_from_file_location("suite_cli", ROOT / "benchmarks" / "suite.py")
    cli = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cli)
    out = tmp_path / "suite.json"
    rc = cli.main(
        ["--tables", "builtin:wine,builtin:breast_cancer", "--classifiers", "logistic_regression",
         "--folds", "2", "--repeats", "1", "--jobs", "1", "--no-ours", "--no-mlflow",
         "--out", str(out)]
    )  # fmt: skip
    assert rc == 0
    text = capsys.readouterr().out
    assert "builtin:wine: removed 43 rows" in text and "mean rank" in text
    data = json.loads(out.read_text())
    assert len(data["summary"]["rows"]) == 2
    assert out.with_suffix(".png").stat().st_size > 1000
    assert classical_arms().keys() == data["config"]["arms"].keys()


def test_cli_from_jobs_summarises_complete_tables_only(tmp_path, capsys):
    spec = importlib.util.spec_from_file_location("suite_cli2", ROOT / "benchmarks" / "suite.py")
    cli = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cli)
    args = ["--tables", "builtin:wine,builtin:breast_cancer", "--classifiers",
            "logistic_regression", "--folds", "2", "--repeats", "1", "--jobs", "1", "--no-gan",
            "--no-mlflow", "--no-plot"]  # fmt: skip
    full = tmp_path / "full.json"
    assert cli.main([*args, "--out", str(full)]) == 0
    jobs = full.with_suffix(".jobs.jsonl").read_text().splitlines()
    assert len(jobs) == 4
    cut = tmp_path / "cut.jsonl"  # an interrupted run: one fold of breast_cancer missing
    cut.write_text("\n".join(j for j in jobs if '"repeat": 0, "fold": 1' not in j or "wine" in j))
    part = tmp_path / "part.json"
    assert cli.main([*args, "--from-jobs", str(cut), "--out", str(part)]) == 0
    assert "left out (not all folds done): builtin:breast_cancer" in capsys.readouterr().out
    rows = json.loads(part.read_text())["summary"]["rows"]
    full_rows = json.loads(full.read_text())["summary"]["rows"]
    assert [r["table"] for r in rows] == ["builtin:wine"]
    assert rows[0]["arms"] == next(r for r in full_rows if r["table"] == "builtin:wine")["arms"]
