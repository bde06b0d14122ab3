"""`augment.tracking.fluent`: logging and loading models use augment's store for the call
only; the process's own MLflow tracking URI is left as it was (a URI set process-wide by one
test once pointed another test's ``mlflow.get_run`` at the wrong store)."""

from __future__ import annotations

import os

import mlflow
import pandas as pd
import pytest
from mlflow.tracking._tracking_service import utils

from augment.gan import TabularCGAN, TabularGANConfig, save_model
from augment.tracking import load_classifier, load_generator, log_classifier
from augment.tracking.config import TrackingConfig
from augment.tracking.fluent import ENV, tracking_store
from augment.tracking.log import Tracker


def _process_uri(monkeypatch, uri: str | None, env: str | None) -> None:
    """The process's MLflow as a script may have left it: ``mlflow.set_tracking_uri(uri)``
    (None: never called) and ``MLFLOW_TRACKING_URI`` (None: unset); undone after the test."""
    monkeypatch.setattr(utils, "_tracking_uri", uri)
    if env is None:
        monkeypatch.delenv(ENV, raising=False)
    else:
        monkeypatch.setenv(ENV, env)


def test_tracking_store_puts_the_process_uri_and_variable_back(tmp_path, monkeypatch):
    a, b = f"sqlite:///{tmp_path}/a.db", f"sqlite:///{tmp_path}/b.db"
    _process_uri(monkeypatch, None, a)
    with tracking_store(b):
        assert mlflow.get_tracking_uri() == b
    assert utils._tracking_uri is None and os.environ[ENV] == a
    with pytest.raises(RuntimeError), tracking_store(b):
        raise RuntimeError("the block failed")
    assert utils._tracking_uri is None and os.environ[ENV] == a
    _process_uri(monkeypatch, a, None)
    with tracking_store(b):
        with tracking_store(a):  # nested: each puts back what it found
            assert mlflow.get_tracking_uri() == a
        assert mlflow.get_tracking_uri() == b
    assert utils._tracking_uri == a and ENV not in os.environ


@pytest.mark.usefixtures("one_thread")
def test_models_log_and_load_from_their_store_and_leave_the_process_uri(
    tmp_path, wine_splits, monkeypatch
):
    from augment.classify import make_classifier

    other = f"sqlite:///{tmp_path}/other.db"  # where the rest of the process tracks
    _process_uri(monkeypatch, other, other)
    train = wine_splits.train
    gan = TabularCGAN(TabularGANConfig(epochs=1), random_state=0, progress=False)
    path = save_model(gan.fit(train.X, train.y), tmp_path / "g.pt")
    clf = make_classifier("random_forest", train, 0).fit(train.X, train.y)
    cfg = TrackingConfig(tracking_uri=f"sqlite:///{tmp_path}/m.db", registered_model="g")
    tracker = Tracker(cfg)
    run_id = tracker.start_parent("r", {}, {})
    gen_uri = tracker.log_generator(run_id, path, train.class_names, "class")
    clf_uri = log_classifier(tracker, run_id, clf, train, "classifier", {}, register=True)
    tracker.finish(run_id)
    assert mlflow.get_tracking_uri() == other and os.environ[ENV] == other

    rows = pd.DataFrame({"class": train.class_names, "n": [1, 1, 1]})
    for uri in (gen_uri, "models:/g@current"):  # a models:/ alias resolves in cfg's registry
        model, meta = load_generator(uri, cfg)
        assert meta["class_names"] == train.class_names and len(model.predict(rows)) == 3
        assert mlflow.get_tracking_uri() == other and os.environ[ENV] == other
    for uri in (clf_uri, "models:/g-classifier@champion"):
        model, meta = load_classifier(uri, cfg)
        assert len(model.predict(train.X.head(4))) == 4
        assert mlflow.get_tracking_uri() == other and os.environ[ENV] == other
    assert not (tmp_path / "other.db").exists()  # nothing of augment's went to the other store
