"""``augment predict``: batch scoring with a logged classifier, with `generate`'s safety rules."""

from __future__ import annotations

from pathlib import Path

import mlflow.pyfunc
import pandas as pd
import pytest

from augment.cli import main


def _logged(wine_splits) -> str:
    """A random forest on wine's train split, logged to the test's store (``mlflow_tmp``)."""
    from augment.classify import make_classifier
    from augment.tracking import Tracker, load_tracking_config, log_classifier

    train = wine_splits.train
    clf = make_classifier("random_forest", train, 0).fit(train.X, train.y)
    tracker = Tracker(load_tracking_config())
    run_id = tracker.start_parent("r", {}, {})
    uri = log_classifier(tracker, run_id, clf, train, "classifier", {"augment.arm": "baseline"})
    tracker.finish(run_id)
    return uri


def _said(capsys) -> list[str]:
    return [x for x in capsys.readouterr().err.splitlines() if x.startswith("augment:")]


def test_predict_writes_predictions_and_refuses_to_overwrite(
    tmp_path, mlflow_tmp, wine_splits, capsys
):
    uri = _logged(wine_splits)
    test = wine_splits.test
    rows = test.X.assign(target=[test.class_names[c] for c in test.y])  # label kept: ignored
    data = tmp_path / "rows.csv"
    rows.to_csv(data, index=False)
    out = tmp_path / "scored.csv"
    assert main(["predict", uri, "--data", str(data), "--out", str(out)]) == 0
    scored = pd.read_csv(out)
    assert list(scored.columns) == [*rows.columns, "prediction"]
    want = mlflow.pyfunc.load_model(uri).predict(pd.read_csv(data)).tolist()
    assert scored["prediction"].tolist() == want
    capsys.readouterr()

    before = out.read_bytes()
    assert main(["predict", uri, "--data", str(data), "--out", str(out)]) == 2
    (line,) = _said(capsys)
    assert "already exists" in line and "--force" in line
    assert out.read_bytes() == before
    assert main(["predict", uri, "--data", str(data), "--out", str(out), "--force"]) == 0
    assert pd.read_csv(out)["prediction"].tolist() == want


@pytest.mark.parametrize(
    "out, message",
    [("rows.csv", "is the input"), ("scored.txt", "unsupported suffix")],
)
def test_predict_refuses_bad_outputs_in_one_line(
    tmp_path, mlflow_tmp, wine_splits, capsys, out, message
):
    data = tmp_path / "rows.csv"
    wine_splits.test.X.to_csv(data, index=False)
    code = main(
        ["predict", str(tmp_path / "no-model"), "--data", str(data), "--out", str(tmp_path / out)]
    )
    (line,) = _said(capsys)
    assert code == 2 and message in line, line


def test_predict_inside_an_image_folder_input_is_refused(tmp_path, mlflow_tmp, capsys):
    folder = tmp_path / "images"
    folder.mkdir()
    out = folder / "scored.csv"
    assert (
        main(["predict", str(tmp_path / "no-model"), "--data", str(folder), "--out", str(out)]) == 2
    )
    (line,) = _said(capsys)
    assert "is inside the input" in line and not out.exists()


def test_predict_with_a_table_classifier_on_a_folder_or_missing_columns_exits_2(
    tmp_path, mlflow_tmp, wine_splits, capsys
):
    uri = _logged(wine_splits)
    folder = tmp_path / "images"
    folder.mkdir()
    assert main(["predict", uri, "--data", str(folder), "--out", str(tmp_path / "a.csv")]) == 2
    (line,) = _said(capsys)
    assert "table classifier" in line
    data = tmp_path / "few.csv"
    wine_splits.test.X.drop(columns=["alcohol"]).to_csv(data, index=False)
    assert main(["predict", uri, "--data", str(data), "--out", str(tmp_path / "b.csv")]) == 2
    (line,) = _said(capsys)
    assert "alcohol" in line and not Path(tmp_path / "b.csv").exists()
