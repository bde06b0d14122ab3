"""No leakage: the test split is real only and fixed before generation; inputs are untouched."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from augment.cli import main
from augment.data import load_dataset, make_splits
from augment.experiment.leakage import LeakageError, check_no_leakage, gan_arm_synthetic
from augment.gan import TabularCGAN, TabularGANConfig

CFG = TabularGANConfig(epochs=1, batch_size=64, hidden=16)


pytestmark = pytest.mark.usefixtures("one_thread")  # see conftest.py


def _synthetic(gan, data, n=20):
    return pd.concat([gan.sample(n, c, random_state=c) for c in range(data.n_classes)])


def test_split_then_generate_passes():
    data = load_dataset("builtin:wine")
    splits = make_splits(data, 0.3, 0, [], 1.0)
    test_hash = splits.test.content_hash()
    gan = TabularCGAN(CFG, random_state=0, progress=False).fit(splits.train.X, splits.train.y)
    synthetic = gan_arm_synthetic(gan, splits.train, {0: 5, 1: 0, 2: 9}, classifier_seeds=[0, 1])
    report = check_no_leakage(splits, synthetic, test_hash)
    assert report["passed"] and report["synthetic_rows_checked"] == 28
    assert report["test_rows_equal_to_synthetic"] == 0


@pytest.mark.parametrize("flagged", [False, True])
def test_generation_wired_before_the_split_is_caught(flagged):
    data = load_dataset("builtin:wine")
    gan = TabularCGAN(CFG, random_state=0, progress=False).fit(data.X, data.y)
    X_syn = _synthetic(gan, data)
    y_syn = np.repeat(np.arange(data.n_classes), 20)
    X_all = pd.concat([data.X, X_syn], ignore_index=True)
    if flagged:
        X_all["is_synthetic"] = np.r_[np.zeros(len(data)), np.ones(len(X_syn))].astype(bool)
    wrong = replace(data, X=X_all, y=np.r_[data.y, y_syn])  # generated, *then* split
    splits = make_splits(wrong, 0.3, 0, [], 1.0)
    needle = "flagged synthetic" if flagged else "identical to synthetic rows"
    with pytest.raises(LeakageError, match=needle):
        check_no_leakage(splits, [X_syn], splits.test.content_hash())


def test_test_split_changed_after_split_is_caught():
    data = load_dataset("builtin:wine")
    splits = make_splits(data, 0.3, 0, [], 1.0)
    test_hash = splits.test.content_hash()
    tampered = replace(splits, test=splits.test.subset(np.arange(len(splits.test) - 1)))
    with pytest.raises(LeakageError, match="test split changed after it was made"):
        check_no_leakage(tampered, [], test_hash)


def test_image_rows_hash_by_pixels():
    data = load_dataset("builtin:digits").subset(np.arange(300))
    splits = make_splits(data, 0.3, 0, [], 1.0)
    leaked = splits.test.X[:3]  # "synthetic" images equal to test images
    with pytest.raises(LeakageError, match="3 test row"):
        check_no_leakage(splits, [leaked])


def _sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.usefixtures("prefect_harness")
def test_cli_run_checks_leakage_and_leaves_input_untouched(tmp_path, mlflow_tmp, mixed_csv):
    before = _sha(mixed_csv), mixed_csv.stat().st_mtime_ns
    out = tmp_path / "out.json"
    argv = ["run", "--data", str(mixed_csv), "--label", "outcome", "--epochs", "1"]
    code = main(argv + ["--seeds", "1", "--arms", "baseline,gan", "--json", str(out)])
    assert code == 0
    assert (_sha(mixed_csv), mixed_csv.stat().st_mtime_ns) == before  # input never modified
    summary = json.loads(out.read_text())
    leak = summary["leakage_check"]
    assert leak["passed"] and leak["synthetic_rows_checked"] > 0
    assert leak["test_rows"] == summary["n_test"]
    assert not list(tmp_path.glob(".*.tmp"))  # the JSON went through temp file + rename


def _integer_table(tmp_path):
    rng = np.random.default_rng(0)
    n = 120
    df = pd.DataFrame(
        {
            "city": rng.choice(["Lyon", "Nice", "Pau"], n),
            "rooms": rng.integers(1, 40, n),
            "y": rng.choice(["no", "yes"], n, p=[0.7, 0.3]),
        }
    )
    df.to_csv(tmp_path / "t.csv", index=False)
    return make_splits(load_dataset(tmp_path / "t.csv", label="y"), 0.3, 0, [], 1.0)


def test_chance_overlap_in_a_table_of_categories_and_integers_is_counted_not_raised(
    tmp_path, caplog
):
    import logging

    from augment.experiment.leakage import row_hashes, row_keys

    splits = _integer_table(tmp_path)
    train, test = splits.train.X, splits.test.X
    assert not any(pd.api.types.is_float_dtype(test[c]) for c in test.columns)
    # a generator that happens to make three real test rows the train split lacks, plus others:
    # it makes train rows more often (per row) than test rows, so this is chance, not logged
    unseen = [i for i, k in enumerate(row_keys(test)) if k not in row_hashes(train)]
    assert len(unseen) >= 3, "the data should leave test rows absent from train"
    chance = test.iloc[unseen[:3]]
    synthetic = pd.concat([chance, chance.iloc[:1], train.iloc[:20]], ignore_index=True)
    with caplog.at_level(logging.WARNING, logger="augment.experiment.leakage"):
        report = check_no_leakage(splits, [synthetic], splits.test.content_hash())
    assert report["passed"] and report["synthetic_rows_checked"] == 24
    assert report["test_rows_equal_to_synthetic"] == len(row_hashes(chance)) > 0
    assert report["test_rows_equal_to_train"] == len(test) - len(unseen)
    assert report["overlap_above_chance"] is False and "equal a synthetic row" not in caplog.text


def test_test_rows_in_the_synthetic_rows_of_an_integer_table_are_logged(tmp_path, caplog):
    import logging

    from augment.experiment.leakage import row_hashes, row_keys

    splits = _integer_table(tmp_path)
    train, test = splits.train.X, splits.test.X
    unseen = [i for i, k in enumerate(row_keys(test)) if k not in row_hashes(train)]
    # the test split itself reached the synthetic rows: every unseen test row is made
    synthetic = pd.concat([test, train.iloc[:5]], ignore_index=True)
    with caplog.at_level(logging.WARNING, logger="augment.experiment.leakage"):
        report = check_no_leakage(splits, [synthetic], splits.test.content_hash())
    assert report["passed"] and report["overlap_above_chance"] is True
    n = report["test_rows_equal_to_synthetic"]
    assert n == len({row_keys(test)[i] for i in unseen})
    assert f"{n} test row(s) absent from the train split equal a synthetic row" in caplog.text
