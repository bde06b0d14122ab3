"""Issue 12: no data loss, no code from files, concurrent runs, user mistakes as exit 2."""

from __future__ import annotations

import pytest

from augment.cli import main

GOOD = "a,b,y\n" + "".join(f"{i},{i % 3},{'xz'[i % 2]}\n" for i in range(20))


def _run_err(argv: list[str], capsys) -> tuple[int, str]:
    code = main(["run", *argv])
    return code, capsys.readouterr().err.strip()


# --- item 1: --json never overwrites an input, nor an existing file without --force ---------


def test_json_target_equal_to_the_input_is_refused(tmp_path, mlflow_tmp, capsys):
    data = tmp_path / "good.csv"
    data.write_text(GOOD)
    code, err = _run_err(["--data", str(data), "--label", "y", "--json", str(data)], capsys)
    assert code == 2 and len(err.splitlines()) == 1
    assert "is the input data" in err, err
    assert data.read_text() == GOOD
    code, err = _run_err(
        ["--data", str(data), "--label", "y", "--json", str(data), "--force"], capsys
    )
    assert code == 2 and "is the input data" in err and data.read_text() == GOOD


def test_existing_json_target_needs_force(tmp_path, mlflow_tmp, capsys):
    data = tmp_path / "good.csv"
    data.write_text(GOOD)
    out = tmp_path / "out.json"
    out.write_text("keep me")
    code, err = _run_err(["--data", str(data), "--label", "y", "--json", str(out)], capsys)
    assert code == 2 and len(err.splitlines()) == 1
    assert "already exists; pass --force to replace it" in err, err
    assert out.read_text() == "keep me"
    assert not (tmp_path / "mlflow.db").exists()


# --- item 4: duplicate column names are an error naming them --------------------------------


@pytest.mark.parametrize(("header", "dup"), [("y,a,y", "['y']"), ("a,a,y", "['a']")])
def test_duplicate_csv_header_is_an_error(tmp_path, mlflow_tmp, capsys, header, dup):
    data = tmp_path / "dup.csv"
    data.write_text(
        header + "\n" + "".join(f"{'xz'[i % 2]},{i},{'xz'[i % 2]}\n" for i in range(20))
    )
    code, err = _run_err(["--data", str(data), "--label", "y"], capsys)
    assert code == 2 and len(err.splitlines()) == 1, err
    assert f"duplicate column name(s) {dup}" in err, err


# --- item 6: a balanced image set gives the GAN nothing to generate; the check still passes --


def test_leakage_check_with_nothing_generated_for_images():
    import numpy as np

    from augment.arms import synthesize
    from augment.data import LabeledDataset, make_splits
    from augment.leakage import check_no_leakage, gan_arm_synthetic

    rng = np.random.default_rng(0)
    X = rng.random((20, 1, 4, 4)).astype(np.float32)
    y = np.repeat([0, 1], 10)
    data = LabeledDataset(name="imgs", X=X, y=y, class_names=["a", "b"], kind="image")
    splits = make_splits(data, 0.3, 0, [], 1.0)
    plan = {0: 0, 1: 0}  # perfectly balanced: nothing to generate
    synthetic = [synthesize(None, plan, 0, "image")[0]]
    report = check_no_leakage(splits, synthetic, splits.test.content_hash())
    assert report["passed"] and report["synthetic_rows_checked"] == 0
    assert gan_arm_synthetic(None, splits.train, plan, [0, 1])[0].shape[0] == 0
