"""The console script: exit codes, one-line errors, nothing half-written on bad input."""

import json

import mlflow
import pytest
from _images import png_folder

from augment.cli import main


def _no_runs_written(tmp_path):
    db = tmp_path / "mlflow.db"
    if not db.exists():
        return True
    exp = mlflow.get_experiment_by_name("augment")
    return exp is None or mlflow.search_runs([exp.experiment_id]).empty


@pytest.mark.parametrize(
    ("name", "content", "label", "needle"),
    [
        ("nope.csv", None, "y", "nope.csv: no such file or directory"),
        ("empty.csv", "", "y", "empty.csv: file is empty"),
        ("t.csv", "a,b\n1,2\n3,4\n", "label", "label column 'label' not found"),
    ],
)
def test_bad_input_exits_2_with_one_line(
    tmp_path, mlflow_tmp, capsys, name, content, label, needle
):
    path = tmp_path / name
    if content is not None:
        path.write_text(content)
    code = main(["run", "--data", str(path), "--label", label, "--json", str(tmp_path / "o.json")])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert len(err.splitlines()) == 1 and needle in err
    assert not (tmp_path / "o.json").exists()
    assert _no_runs_written(tmp_path)


def test_bad_flag_value_exits_2(mlflow_tmp, capsys):
    assert main(["run", "--arms", "baseline,magic"]) == 2
    assert "magic" in capsys.readouterr().err


def test_datasets_lists_builtins(capsys):
    assert main(["datasets"]) == 0
    out = capsys.readouterr().out
    assert "builtin:digits" in out and "builtin:wine" in out


@pytest.mark.usefixtures("prefect_harness")
def test_run_on_user_csv_with_strings(tmp_path, mlflow_tmp, mixed_csv, capsys):
    out = tmp_path / "out.json"
    code = main(
        [
            "run",
            "--data",
            str(mixed_csv),
            "--label",
            "outcome",
            "--epochs",
            "2",
            "--seeds",
            "2",
            "--json",
            str(out),
            "--no-progress",
        ]
    )
    assert code == 0
    summary = json.loads(out.read_text())
    assert set(summary["arms"]) == {"baseline", "gan", "smote"}  # no induced imbalance: no oracle
    run = mlflow.get_run(summary["mlflow_run_id"])
    assert run.info.status == "FINISHED"
    printed = capsys.readouterr().out
    assert "balanced_accuracy" in printed and summary["mlflow_run_id"] in printed


def _tiny_image_folder(root):
    return png_folder(root, {"a": [(8, 8)] * 10, "b": [(8, 8)] * 10}, step=20)


def test_label_with_an_image_folder_exits_2(tmp_path, mlflow_tmp, capsys):
    folder = _tiny_image_folder(tmp_path / "imgs")
    assert main(["run", "--data", str(folder), "--label", "y"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "is an image folder: its classes are its subfolders" in err[0]
    assert _no_runs_written(tmp_path)


def test_invalid_cron_exits_2_with_one_line(capsys):
    assert main(["serve", "--cron", "61 * * * *"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--cron '61 * * * *' is not a valid cron schedule" in err[0]


def test_image_samples_are_not_written_to_a_table_file_name(tmp_path):
    from augment.exceptions import ConfigError
    from augment.export import check_folder_target

    with pytest.raises(ConfigError, match="makes images, written to a folder"):
        check_folder_target(tmp_path / "gen.csv")
    assert not (tmp_path / "gen.csv").exists()
    assert check_folder_target(tmp_path / "gen") == tmp_path / "gen"


def test_few_seeds_and_a_tiny_test_class_are_said(tmp_path, capsys):
    from augment.cli.run import _say_precision
    from augment.config import build_config
    from augment.experiment.preflight import preflight

    rows = [f"{i},{i % 7},{'rare' if i % 5 == 0 else 'common'}" for i in range(60)]
    (tmp_path / "t.csv").write_text("a,b,outcome\n" + "\n".join(rows) + "\n")
    cfg = build_config(
        {"data": {"source": str(tmp_path / "t.csv"), "label": "outcome"}, "seeds": 2}
    )
    _say_precision(preflight(cfg, tracking=False))
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("augment: note: 2 seed(s): the 95% intervals rest on 2 value(s)")
    assert "the test split has" in err[1] and "of class 'rare'" in err[1]
    cfg = build_config({"data": {"source": "builtin:wine"}, "seeds": 5})
    _say_precision(preflight(cfg, tracking=False))
    assert capsys.readouterr().err == ""  # enough seeds, every test class >= 10 rows
