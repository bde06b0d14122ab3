"""`augment.tracking.log` (the Tracker) and `.read` (comparison) against a real SQLite store."""

from __future__ import annotations

import json

import numpy as np
import pytest
from mlflow.tracking import MlflowClient

from augment.evaluate import summarize_arms
from augment.tracking.config import TrackingConfig
from augment.tracking.log import Tracker
from augment.tracking.read import comparison


@pytest.fixture
def tracker(tmp_path):
    return Tracker(TrackingConfig(tracking_uri=f"sqlite:///{tmp_path}/m.db", tags={"p": "q"}))


def _per_seed(base: float) -> list[dict[str, float]]:
    return [
        {"balanced_accuracy": base + d, "macro_f1": base, "accuracy": base, "minority_recall": base}
        for d in (0.0, 0.02, 0.04)
    ]


def test_parent_child_metrics_params_and_artifacts(tracker, tmp_path):
    assert (tmp_path / "m.db.lock").exists()  # the store was created under its lock
    run_id = tracker.start_parent(
        "r", {"config": {"gan": {"epochs": 3}}, "plan": {"0": 5}}, {"dataset": "d"}
    )
    tracker.log_history(run_id, [{"epoch": e, "d_loss": 1.0 / (e + 1)} for e in range(3)], "gan_")
    per_seed = _per_seed(0.8)
    agg = summarize_arms({"gan": per_seed})["gan"]
    child = tracker.log_arm(run_id, "gan", per_seed, agg, {"seeds": 3})
    tracker.log_json(run_id, {"a": 1}, "summary.json")
    tracker.set_tags(run_id, {"k": "v"})
    tracker.finish(run_id, "FINISHED")

    client = MlflowClient(tracker.cfg.tracking_uri)
    parent = client.get_run(run_id)
    assert parent.info.status == "FINISHED"
    assert parent.data.params["config.gan.epochs"] == "3" and parent.data.params["plan.0"] == "5"
    assert parent.data.tags["dataset"] == "d" and parent.data.tags["p"] == "q"
    assert parent.data.tags["k"] == "v"
    steps = [m.step for m in client.get_metric_history(run_id, "gan_d_loss")]
    assert steps == [0, 1, 2]
    kid = client.get_run(child)
    assert kid.data.tags["mlflow.parentRunId"] == run_id and kid.data.tags["arm"] == "gan"
    assert kid.data.metrics["balanced_accuracy"] == pytest.approx(0.82)
    assert kid.data.metrics["balanced_accuracy_ci95_low"] == pytest.approx(
        agg["balanced_accuracy"]["ci95"][0]
    )
    per = client.get_metric_history(child, "balanced_accuracy_per_seed")
    assert [m.value for m in sorted(per, key=lambda m: m.step)] == pytest.approx([0.8, 0.82, 0.84])
    path = client.download_artifacts(run_id, "summary.json", str(tmp_path))
    assert json.loads(open(path).read()) == {"a": 1}


def test_datasets_are_logged_as_inputs(tracker, wine_splits):
    run_id = tracker.start_parent("r", {}, {"dataset": "builtin:wine"})
    tracker.log_dataset(run_id, wine_splits.train, "train")
    inputs = MlflowClient(tracker.cfg.tracking_uri).get_run(run_id).inputs.dataset_inputs
    assert [i.dataset.name for i in inputs] == ["builtin:wine:train"]
    assert {t.key: t.value for t in inputs[0].tags}["mlflow.data.context"] == "train"


def test_comparison_reads_finished_parents_back_newest_first(tracker):
    for base, status in ((0.7, "FINISHED"), (0.9, "FINISHED"), (0.5, "FAILED")):
        run_id = tracker.start_parent(f"r{base}", {}, {"dataset": "d"})
        for arm, shift in (("baseline", 0.0), ("gan", 0.05)):
            ps = _per_seed(base + shift)
            tracker.log_arm(run_id, arm, ps, summarize_arms({arm: ps})[arm], {})
        tracker.finish(run_id, status)
    runs = comparison(tracker, last=5)
    assert [r["run_name"] for r in runs] == ["r0.9", "r0.7"]  # the FAILED run is left out
    gan = runs[0]["arms"]["gan"]["balanced_accuracy"]
    assert gan["mean"] == pytest.approx(np.mean([0.95, 0.97, 0.99]))
    assert gan["ci95"][0] < gan["mean"] < gan["ci95"][1]
    assert tracker.comparison(1)[0]["run_id"] == runs[0]["run_id"]


def test_compare_filters_by_dataset_and_says_each_runs_config(tracker, monkeypatch, capsys):
    from augment.cli import main

    for dataset, clf in (("builtin:wine", "random_forest"), ("builtin:digits", "cnn")):
        config = {"config": {"gan": {"epochs": 7}, "seeds": 3, "classifier": "auto"}}
        run_id = tracker.start_parent(dataset, config | {"gan.seeds": 2}, {"dataset": dataset})
        for arm, shift in (("baseline", 0.0), ("gan", 0.1), ("oracle", 0.2)):
            ps = _per_seed(0.6 + shift)
            tracker.log_arm(run_id, arm, ps, summarize_arms({arm: ps})[arm], {"classifier": clf})
        tracker.set_tags(run_id, {"augment.verdict": f"verdict: gan is best on {dataset}"})
        tracker.finish(run_id, "FINISHED")
    runs = tracker.comparison(5, dataset="builtin:wine")
    assert [r["dataset"] for r in runs] == ["builtin:wine"]
    assert runs[0]["config"] == {
        "epochs": "7",
        "seeds": "3",
        "classifier": "random_forest",  # as resolved by the arms, not the parent's "auto"
        "gan_seeds": "2",
    }
    monkeypatch.setenv("MLFLOW_TRACKING_URI", tracker.cfg.tracking_uri)
    capsys.readouterr()
    assert main(["compare", "--dataset", "builtin:digits"]) == 0
    out = capsys.readouterr().out
    assert "builtin:wine" not in out
    assert "epochs 7, seeds 3, classifier cnn, gan_seeds 2" in out
    assert "verdict: gan is best on builtin:digits" in out
    gan_row = next(line for line in out.splitlines() if line.startswith("gan "))
    assert gan_row.split()[-2:] == ["+0.100", "+50%"]  # delta and gap recovered
    assert main(["compare", "--metric", "balanced_acuracy"]) == 2  # a typo: exit 2, no plot
    assert "is not a metric" in capsys.readouterr().err


def test_compare_dataset_matches_a_path_as_the_user_writes_it(tmp_path, monkeypatch):
    """`compare --dataset` takes the recorded text, the same file written another way (relative
    or absolute), or a file name only one recorded dataset has; an ambiguous name is an error
    listing the candidates."""
    from augment.exceptions import ConfigError
    from augment.tracking.read import matching_datasets

    monkeypatch.chdir(tmp_path)
    (tmp_path / "data").mkdir()
    churn = str(tmp_path / "data" / "churn.csv")
    recorded = [churn, "builtin:wine", "/elsewhere/a/x.csv", "/elsewhere/b/x.csv"]
    assert matching_datasets("builtin:wine", recorded) == ["builtin:wine"]
    assert matching_datasets("data/churn.csv", recorded) == [churn]
    assert matching_datasets("./data/../data/churn.csv", recorded) == [churn]
    assert matching_datasets("churn.csv", recorded) == [churn]
    assert matching_datasets("wine", recorded) == []  # a built-in is named in full
    with pytest.raises(ConfigError, match="matches 2 recorded datasets"):
        matching_datasets("x.csv", recorded)
