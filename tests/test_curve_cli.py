"""``augment curve`` end to end on wine: the table, the JSON, the PNG, the page, one MLflow run."""

import json

import mlflow
import pytest

from augment.cli import main

ARGS = ["curve", "--data", "builtin:wine", "--epochs", "1", "--seeds", "2"]
ARGS += ["--arms", "baseline,gan", "--no-progress"]


def test_curve_on_wine_writes_everything_and_one_finished_run(tmp_path, mlflow_tmp, capsys):
    out = tmp_path / "curve.json"
    assert main([*ARGS, "--fractions", "0.25,1", "--json", str(out)]) == 0
    curve = json.loads(out.read_text())
    assert {"dataset", "classes", "fractions", "arms", "points", "baseline_curve"} <= set(curve)
    assert curve["classes"] == ["class_2"] and curve["fractions"] == [0.25, 1.0]
    rows = [p["minority_rows"] for p in curve["points"]]
    assert rows[0] < rows[1]
    for p in curve["points"]:
        assert set(p["arms"]) == {"baseline", "gan"}
        assert set(p["arms"]["gan"]["worth"]) == {"point", "low", "high"}
        assert p["arms"]["gan"]["added_rows"] > 0
    png = tmp_path / "curve.png"  # beside --json, as the page
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    page = (tmp_path / "curve.html").read_text()
    assert "data:image/png;base64," in page and curve["mlflow_run_id"] in page
    client = mlflow.MlflowClient(mlflow_tmp)  # not the process-wide URI another test may set
    run = client.get_run(curve["mlflow_run_id"])
    assert run.info.status == "FINISHED" and run.data.tags["kind"] == "curve"
    assert "gan/balanced_accuracy" in run.data.metrics
    listed = {a.path for a in client.list_artifacts(run.info.run_id)}
    assert {"curve.json", "curve.png", "curve.html"} <= listed
    printed = capsys.readouterr().out
    assert "worth (fraction)" in printed and curve["mlflow_run_id"] in printed

    # one more fraction: the GANs of the two already run come from the cache
    again = tmp_path / "again.json"
    assert main([*ARGS, "--fractions", "0.25,0.5,1", "--json", str(again)]) == 0
    cached = {p["fraction"]: p["gan_cached"] for p in json.loads(again.read_text())["points"]}
    assert cached == {0.25: True, 0.5: False, 1.0: True}


@pytest.mark.parametrize("fractions", ["0.5", "0,1", "1.5,1"])
def test_bad_fractions_exit_2_with_one_line(tmp_path, mlflow_tmp, capsys, fractions):
    out = tmp_path / "curve.json"
    assert main([*ARGS, "--fractions", fractions, "--json", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--fractions" in err[0]
    assert not out.exists()
