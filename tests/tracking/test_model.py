"""`augment.tracking.model`: the generator logged from code (no pickle) and loaded back."""

from __future__ import annotations

from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

from augment.exceptions import ConfigError
from augment.gan import TabularCGAN, TabularGANConfig, save_model
from augment.tracking.config import TrackingConfig
from augment.tracking.fluent import tracking_store
from augment.tracking.log import Tracker
from augment.tracking.model import load_generator


@pytest.mark.usefixtures("one_thread")
def test_logged_generator_has_no_pickle_and_samples_each_class(tmp_path, wine_splits):
    train = wine_splits.train
    gan = TabularCGAN(TabularGANConfig(epochs=1), random_state=0, progress=False)
    path = save_model(gan.fit(train.X, train.y), tmp_path / "g.pt")
    cfg = TrackingConfig(tracking_uri=f"sqlite:///{tmp_path}/m.db")
    tracker = Tracker(cfg)
    run_id = tracker.start_parent("r", {}, {})
    uri = tracker.log_generator(run_id, path, train.class_names, "class")
    tracker.finish(run_id)
    # a run's model folder resolves through the process-wide registry URI whatever the client's
    # store (MLflow 3.17's RunsArtifactRepository): the scope points it at cfg's, then restores
    with tracking_store(cfg.tracking_uri):
        client = MlflowClient(cfg.tracking_uri)
        local = Path(client.download_artifacts(run_id, "generator", str(tmp_path / "dl")))
    files = {p.name for p in local.rglob("*")}
    assert "generator_model.py" in files and not any(f.endswith(".pkl") for f in files)

    model, meta = load_generator(uri, cfg)
    assert meta["class_names"] == train.class_names and meta["kind"] == "table"
    import pandas as pd

    out = model.predict(
        pd.DataFrame({"class": train.class_names, "n": [3, 0, 2]}), {"random_state": 1}
    )
    assert out["class"].tolist() == [train.class_names[0]] * 3 + [train.class_names[2]] * 2
    assert list(out.columns[1:]) == list(train.X.columns)
    again = model.predict(
        pd.DataFrame({"class": train.class_names, "n": [3, 0, 2]}), {"random_state": 1}
    )
    pd.testing.assert_frame_equal(out, again)


def test_loading_something_that_is_not_a_generator_is_a_config_error(tmp_path):
    cfg = TrackingConfig(tracking_uri=f"sqlite:///{tmp_path}/m.db")
    with pytest.raises(ConfigError, match="cannot load model"):
        load_generator("runs:/0123456789abcdef/generator", cfg)
