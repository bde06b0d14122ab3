"""`augment.tracking.classifier_model`: a run's retrained classifier logged from code (skops or
a weights-only state_dict, no pickle), loaded by MLflow and by `load_classifier`, and served."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import mlflow
import mlflow.pyfunc
import numpy as np
import pytest
from mlflow.tracking import MlflowClient

from augment.arms import arm_classifier, features, get, run_arm, training_set
from augment.config import build_config
from augment.exceptions import IntegrityError
from augment.experiment.preflight import preflight
from augment.experiment.summary import Summary
from augment.tracking import load_classifier, load_tracking_config
from augment.tracking.config import TrackingConfig
from augment.tracking.fluent import tracking_store
from augment.tracking.log import Tracker
from flows import augmentation_flow
from flows.classifier import arms_to_log, log_classifiers


def _seed0(prepared, arm: str, model=None) -> list[str]:
    """The class names the run's seed-0 classifier of ``arm`` predicts on the test split: its
    training set and classifier built as `augment.arms.run_arm` builds them for seed 0."""
    X, y = training_set(arm, prepared.splits, prepared.plan, 0, model)
    clf = arm_classifier(arm, prepared.cfg.classifier, prepared.splits, 0, y)
    codes = clf.fit(X, y).predict(features(prepared.splits.test))
    return [prepared.splits.train.class_names[c] for c in codes]


def test_which_arms_are_logged():
    assert arms_to_log("best", "gan", ["baseline", "gan"]) == ["gan"]
    assert arms_to_log("all", "gan", ["baseline", "gan", "smote"]) == ["gan", "baseline", "smote"]
    assert arms_to_log("none", "gan", ["baseline", "gan"]) == []
    assert arms_to_log("best", None, ["oracle"]) == []


@pytest.mark.usefixtures("prefect_harness", "one_thread")
def test_run_logs_the_best_arms_classifier_that_predicts_raw_rows_as_seed_0(mlflow_tmp, mixed_csv):
    cfg = build_config(
        {
            "data": {"source": str(mixed_csv), "label": "outcome", "imbalance_fraction": 0.3},
            "gan": {"epochs": 1, "batch_size": 32},
            "seeds": 2,
            "arms": ["baseline", "gan", "random_oversample"],
        }
    )
    summary = augmentation_flow(cfg)
    assert "classifier_uri" not in summary  # the summary (and its goldens) are unchanged
    run = mlflow.get_run(summary["mlflow_run_id"])
    best = summary["verdict"]["best"]
    uri = run.data.tags["classifier_uri"]
    model = mlflow.pyfunc.load_model(uri)  # no MLFLOW_ALLOW_PICKLE_DESERIALIZATION needed
    info = mlflow.models.get_model_info(uri)
    assert [c["name"] for c in info.signature.inputs.to_dict()] == [
        "age",
        "income",
        "city",
        "member",
    ]
    logged = MlflowClient(mlflow_tmp).get_logged_model(info.model_id)
    assert logged.tags["augment.arm"] == best
    assert logged.tags["augment.dataset_hash"] == run.data.tags["dataset_hash"]
    assert logged.tags["augment.reproduced"] == "true"
    assert logged.tags["augment.verdict"].startswith(f"verdict: {best} is best")
    assert logged.tags["augment.generator_uri"] == summary["generator_uri"]

    prepared = preflight(cfg)
    raw = prepared.splits.test.X  # the table's own columns: the pipeline does the rest
    got = model.predict(raw).tolist()
    gen = None
    if get(best).uses_generator:  # the run's logged generator is the one seed 0 used
        from augment.tracking import load_generator

        gen = load_generator(summary["generator_uri"], load_tracking_config())[0].model.model
    assert got == _seed0(prepared, best, gen)
    # the same scores as the run's own seed 0 of that arm
    from sklearn.metrics import balanced_accuracy_score

    names = prepared.splits.train.class_names
    score = balanced_accuracy_score(prepared.splits.test.y, [names.index(g) for g in got])
    assert score == pytest.approx(summary["arms"][best]["balanced_accuracy"]["values"][0])
    # augment's own loader: the same answers, from plain files only
    loaded, meta = load_classifier(uri, load_tracking_config())
    assert loaded.predict(raw).tolist() == got and meta["format"] == "skops"


@pytest.mark.usefixtures("one_thread")
def test_image_classifier_is_a_state_dict_and_predicts_as_seed_0(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cfg = build_config({"seeds": 1, "arms": ["baseline", "random_oversample"], "classifier": "cnn"})
    prepared = preflight(cfg)
    results = {a: run_arm(a, prepared.splits, prepared.plan, [0], "cnn") for a in prepared.arms}
    best = max(results, key=lambda a: results[a].per_seed[0]["balanced_accuracy"])
    verdict = {"best": best, "lines": [f"verdict: {best}"]}
    summary = Summary.from_json({"verdict": verdict, "classifier": "cnn"})
    tracking = TrackingConfig(tracking_uri=f"sqlite:///{tmp_path}/m.db")
    tracker = Tracker(tracking)
    run_id = tracker.start_parent("r", {}, {})
    uris = log_classifiers(tracker, run_id, prepared, summary, results, [])
    tracker.finish(run_id)
    assert list(uris) == [best]
    # a models:/<id> URI resolves through the process-wide registry URI, whatever the download
    # is told (MLflow 3.17): the scope points it at this store, then restores
    with tracking_store(tracking.tracking_uri):
        local = Path(mlflow.artifacts.download_artifacts(uris[best], dst_path=str(tmp_path / "dl")))
    files = {p.name for p in local.rglob("*")}
    assert "classifier.pt" in files and not any(f.endswith((".pkl", ".skops")) for f in files)
    test = prepared.splits.test
    flat = test.features_2d()
    import pandas as pd

    rows = pd.DataFrame(flat.astype(np.float64), columns=[f"px{j}" for j in range(flat.shape[1])])
    with tracking_store(tracking.tracking_uri):  # MLflow's own loader reads the process's URI
        got = mlflow.pyfunc.load_model(uris[best]).predict(rows).tolist()
    assert got == _seed0(prepared, best)
    loaded, meta = load_classifier(uris[best], tracking)
    assert loaded.predict(rows).tolist() == got and meta["format"] == "torch"


def _logged_wine(tmp_path, wine_splits) -> tuple[str, TrackingConfig]:
    from augment.classify import make_classifier
    from augment.tracking import log_classifier

    train = wine_splits.train
    clf = make_classifier("random_forest", train, 0).fit(train.X, train.y)
    tracking = TrackingConfig(tracking_uri=f"sqlite:///{tmp_path}/m.db")
    tracker = Tracker(tracking)
    run_id = tracker.start_parent("r", {}, {})
    uri = log_classifier(tracker, run_id, clf, train, "classifier", {"augment.arm": "baseline"})
    tracker.finish(run_id)
    return uri, tracking


def test_a_tampered_classifier_file_fails_to_load_in_one_line(tmp_path, wine_splits):
    uri, tracking = _logged_wine(tmp_path, wine_splits)
    with tracking_store(tracking.tracking_uri):
        info = mlflow.models.get_model_info(uri)
    root = Path(
        MlflowClient(tracking.tracking_uri).get_logged_model(info.model_id).artifact_location
    )
    target = next(root.rglob("classifier.skops"))
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0xFF
    target.write_bytes(bytes(data))
    with pytest.raises(IntegrityError, match=r"classifier\.skops.*SHA-256") as err:
        load_classifier(uri, tracking)
    assert "\n" not in str(err.value)
    with (
        tracking_store(tracking.tracking_uri),
        pytest.raises(IntegrityError, match=r"classifier\.skops.*SHA-256"),
    ):
        mlflow.pyfunc.load_model(uri)


@pytest.mark.server
def test_mlflow_models_serve_answers_as_the_model_in_process(tmp_path, wine_splits):
    from tests._servers import VENV_BIN, free_port, process, wait_http

    uri, tracking = _logged_wine(tmp_path, wine_splits)
    rows = wine_splits.test.X.head(20)
    with tracking_store(tracking.tracking_uri):
        want = mlflow.pyfunc.load_model(uri).predict(rows).tolist()
    port = free_port()
    env = {k: v for k, v in __import__("os").environ.items() if not k.startswith("MLFLOW_")}
    env |= {"MLFLOW_TRACKING_URI": tracking.tracking_uri, "PATH": f"{VENV_BIN}:{env['PATH']}"}
    cmd = [str(VENV_BIN / "mlflow"), "models", "serve", "-m", uri, "--env-manager", "local"]
    cmd += ["-h", "127.0.0.1", "-p", str(port)]
    with process(cmd, tmp_path / "serve.log", env, tmp_path) as proc:
        wait_http(f"http://127.0.0.1:{port}/ping", proc, tmp_path / "serve.log", timeout=120)
        body = json.dumps({"dataframe_split": rows.to_dict(orient="split")}).encode()
        req = urllib.request.Request(
            f"http://127.0.0.1:{port}/invocations",
            data=body,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=60) as r:
            answer = json.loads(r.read())
    got = answer["predictions"]
    got = [g if isinstance(g, str) else next(iter(g.values())) for g in got]
    assert got == want


def test_all_arms_logged_and_the_best_registered_as_champion(tmp_path, monkeypatch, capfd):
    monkeypatch.chdir(tmp_path)
    cfg = build_config(
        {
            "data": {"source": "builtin:wine", "imbalance_fraction": 0.2},
            "seeds": 1,
            "arms": ["baseline", "random_oversample"],
        }
    )
    prepared = preflight(cfg)
    results = {a: run_arm(a, prepared.splits, prepared.plan, [0], "auto") for a in prepared.arms}
    summary = Summary.from_json(
        {"verdict": {"best": "random_oversample", "lines": []}, "classifier": "rf"}
    )
    tracking = TrackingConfig(
        tracking_uri=f"sqlite:///{tmp_path}/m.db", registered_model="gen", log_classifiers="all"
    )
    tracker = Tracker(tracking)
    run_id = tracker.start_parent("r", {}, {})
    capfd.readouterr()
    uris = log_classifiers(tracker, run_id, prepared, summary, results, [])
    tracker.finish(run_id)
    err = capfd.readouterr().err
    assert "registered model" not in err and "Downloading" not in err, err  # MLflow's chatter
    assert list(uris) == ["random_oversample", "baseline"]
    tags = MlflowClient(tracking.tracking_uri).get_run(run_id).data.tags
    assert tags["classifier_uri"] == uris["random_oversample"]
    assert tags["classifier_uri_baseline"] == uris["baseline"]
    assert tags["registered_classifier"] == "gen-classifier/1"
    version = MlflowClient(tracking.tracking_uri).get_model_version_by_alias(
        "gen-classifier", "champion"
    )
    assert version.tags["augment.arm"] == "random_oversample"
    loaded, _ = load_classifier("models:/gen-classifier@champion", tracking)
    assert loaded.predict(prepared.splits.test.X).tolist() == _seed0(prepared, "random_oversample")


def test_log_classifiers_takes_best_all_or_none(tmp_path):
    from augment.exceptions import ConfigError

    path = tmp_path / "mlflow.yml"
    path.write_text("log_classifiers: every\n")
    with pytest.raises(ConfigError, match=r"log_classifiers must be one of \['best', 'all'"):
        load_tracking_config(path)
    path.write_text("log_classifiers: none\nregistered_model: g\n")
    cfg = load_tracking_config(path)
    assert cfg.log_classifiers == "none" and cfg.classifier_name == "g-classifier"
    assert cfg.classifier_alias == "champion"


@pytest.mark.parametrize(
    "classifier", ["logistic_regression", "random_forest", "hist_gradient_boosting"]
)
@pytest.mark.parametrize("arm", ["baseline", "threshold"])
def test_every_table_classifier_and_the_tuned_threshold_save_and_load_as_fitted(
    tmp_path, classifier, arm
):
    """What a run logs for each table classifier, plain and threshold-tuned (the arm's own
    classifier, `arm_classifier`), is written by skops and read back with only our trusted
    types, predicting what the fitted one predicts."""
    import skops.io

    from augment import load_dataset
    from augment.data import make_splits
    from augment.tracking.classifier_model import TRUSTED_SKOPS_TYPES, save_classifier

    splits = make_splits(load_dataset("builtin:breast_cancer"), 0.3, 0, None, 0.2)
    X, y = training_set(arm, splits, {}, 0)
    clf = arm_classifier(arm, classifier, splits, 0, y).fit(X, y)
    path, meta = save_classifier(clf, tmp_path)
    back = skops.io.load(path, trusted=list(TRUSTED_SKOPS_TYPES))
    test = features(splits.test)
    assert (back.predict(test) == clf.predict(test)).all()
    assert meta["codes"] == [0, 1]
    if arm == "threshold":
        assert type(back).__name__ == "TunedThresholdOrPlain" and back.best_threshold_ != 0.5
