"""augment as a Prefect building block (`flows.blocks`): a user's own flow hands a DataFrame
to the subflow and the tasks, and reads the classifier and the generator back from MLflow."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from mlflow.tracking import MlflowClient
from prefect import flow

from augment.exceptions import ConfigError
from flows.blocks import balance, evaluate_arms, fit_generator, frame_file

pytestmark = pytest.mark.usefixtures("prefect_harness", "one_thread")


def _frame() -> pd.DataFrame:
    """Two classes of integer labels, the second rare: a user's own table."""
    rng = np.random.default_rng(0)
    y = np.array([0] * 60 + [1] * 15)
    return pd.DataFrame(
        {"size": rng.normal(size=75) + 2.0 * y, "colour": rng.choice(["r", "g"], 75), "y": y}
    )


def test_a_user_flow_evaluates_fits_and_balances_its_own_frame(tmp_path, mlflow_tmp):
    import mlflow.pyfunc

    frame = _frame()
    before = frame.copy()

    @flow
    def user_flow() -> tuple[dict, dict, dict]:
        result = evaluate_arms(
            frame, "y", arms=["baseline", "gan"], seeds=1, config={"gan": {"epochs": 1}}
        )
        gen = fit_generator(frame, "y", epochs=1)
        balanced = balance(frame, "y", gen["model_uri"], str(tmp_path / "balanced.csv"))
        return result, gen, balanced

    result, gen, balanced = user_flow()
    pd.testing.assert_frame_equal(frame, before)  # the caller's frame is not changed
    client = MlflowClient(mlflow_tmp)
    assert client.get_run(result["mlflow_run_id"]).info.status == "FINISHED"
    assert result["verdict"]["best"] in ("baseline", "gan")
    clf = mlflow.pyfunc.load_model(result["classifier_uri"])
    predicted = np.asarray(clf.predict(frame.drop(columns="y").head(8))).ravel()
    assert set(predicted.tolist()) <= {0, 1, "0", "1"}

    assert client.get_run(gen["mlflow_run_id"]).info.status == "FINISHED"
    assert gen["classes"] == ["0", "1"] and gen["rows"] == 75
    out = pd.read_csv(balanced["path"])
    assert balanced["rows_added"] == {"1": 45} and len(out) == 120
    assert out["y"].value_counts().to_dict() == {0: 60, 1: 60}  # labels as the user wrote
    assert list(out.columns) == [*frame.columns, "is_synthetic"]
    assert out["is_synthetic"].tolist() == [False] * 75 + [True] * 45
    pd.testing.assert_frame_equal(out.head(75).drop(columns="is_synthetic"), frame)


def test_the_frame_file_is_named_by_content_and_written_once(tmp_path):
    a = frame_file(_frame(), tmp_path)
    stamp = a.stat().st_mtime_ns
    assert frame_file(_frame(), tmp_path) == a and a.stat().st_mtime_ns == stamp
    other = _frame().assign(size=lambda f: f["size"] + 1)
    assert frame_file(other, tmp_path) != a
    assert frame_file(_frame().astype({"y": "float64"}), tmp_path) != a  # dtypes count


def test_user_mistakes_are_augment_errors_and_write_nothing(tmp_path, mlflow_tmp):
    from augment.exceptions import AugmentError

    with pytest.raises(AugmentError, match="label column 'nope' not found"):
        evaluate_arms(_frame(), "nope", config={"orchestration": {"cache_dir": str(tmp_path)}})
    with pytest.raises(ConfigError, match="epochs"):
        fit_generator.fn(_frame(), "y", epochs=0)
    with pytest.raises(ConfigError, match="already exists"):
        (tmp_path / "b.csv").write_text("mine")
        balance.fn(_frame(), "y", "runs:/0123456789abcdef0123456789abcdef/generator", "b.csv")
    assert (tmp_path / "b.csv").read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.csv"]  # no frame file, no store
