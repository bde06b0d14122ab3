"""The suite's protocol: folds, what resamplers see, the registry arms, tables, the real GAN."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from augment.exceptions import ConfigError
from augment.suite import (
    Arm,
    ArmSampler,
    FoldContext,
    SuiteTable,
    classical_arms,
    load_suite_table,
    make_folds,
    ours,
    registry_arm,
    result_from_outputs,
    run_suite,
)
from augment.suite.data import default_keel_dir

SEEN: list[tuple[int, int, int, np.ndarray]] = []


class RecordingSampler:
    """Duplicates every minority row and records which row ids it was given."""

    def __init__(self, seed: int, ctx: FoldContext) -> None:
        self.seed, self.ctx = seed, ctx

    def fit_resample(self, X, y):
        SEEN.append((self.ctx.repeat, self.ctx.fold, self.seed, X["rid"].to_numpy().copy()))
        counts = np.bincount(y)
        extra = np.flatnonzero(y != counts.argmax())
        return pd.concat([X, X.iloc[extra]], ignore_index=True), np.r_[y, y[extra]]


def tiny_table(n: int = 60, nominal: bool = False, seed: int = 0) -> SuiteTable:
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.25).astype(np.int64)
    y[:4] = 1  # at least 4 minority rows
    X = pd.DataFrame({"rid": np.arange(n, dtype=float), "x": rng.normal(y * 2.0, 1.0)})
    if nominal:
        X["colour"] = np.where(rng.random(n) < 0.5 + 0.3 * y, "red", "blue")
    return SuiteTable("tiny", X, y, ["a", "b"], ["colour"] if nominal else [])


def test_resampler_sees_only_training_rows_of_its_fold():
    SEEN.clear()
    table = tiny_table()
    arms = {"baseline": classical_arms()["baseline"], "rec": Arm(RecordingSampler, classical=False,
                                                         gan_seeds=True)}  # fmt: skip
    res = run_suite([table], arms, ["logistic_regression"], folds=2, repeats=2, gan_seeds=2)
    folds = {(r, f): (tr, te) for r, f, tr, te in make_folds(table.y, 2, 2, 0)}
    assert len(SEEN) == 2 * 2 * 2  # repeats x folds x generator seeds
    for repeat, fold, _, ids in SEEN:
        train, test = folds[(repeat, fold)]
        assert set(ids.astype(int)) == set(train)
        assert not set(ids.astype(int)) & set(test)
    seeds = {(r, f, s) for r, f, s, _ in SEEN}
    assert len({s for _, _, s in seeds}) == 8  # a generator seed per (repeat, fold, k)
    # every test fold is scored as it is: 2 repeats x 2 folds, each arm and generator
    assert len(res.records) == 4 + 4 * 2


def test_suite_arms_are_the_registry_arms_as_samplers():
    assert list(classical_arms()) == [
        "baseline", "random_oversample", "smote", "class_weight", "threshold"
    ]  # fmt: skip
    assert classical_arms()["class_weight"].class_weight == "balanced"
    assert registry_arm("none").factory.args == ("baseline",)  # a former name still reads
    with pytest.raises(ConfigError, match="gan"):
        registry_arm("gan")  # generator arms enter as gan / variants, not through the adapter
    with pytest.raises(ConfigError, match="unknown arm"):
        registry_arm("nope")


@pytest.mark.parametrize("nominal", [False, True])
def test_smote_arm_balances_a_fold_and_keeps_nominal_values(nominal):
    table = tiny_table(60, nominal=nominal)
    X, y = ArmSampler("smote", 1, tuple(table.nominal)).fit_resample(table.X, table.y)
    counts = np.bincount(y)
    assert counts[0] == counts[1] == np.bincount(table.y).max()
    assert list(X.columns) == list(table.X.columns)
    if nominal:  # SMOTENC: nominal cells are values of the column, never interpolated
        assert set(X["colour"]) <= {"red", "blue"}
    again = ArmSampler("smote", 1, tuple(table.nominal)).fit_resample(table.X, table.y)
    pd.testing.assert_frame_equal(X, again[0])


def test_former_arm_names_of_saved_records_read_as_today():
    table = tiny_table()
    res = run_suite([table], classical_arms(), ["logistic_regression"], folds=2, repeats=1)
    old = {"baseline": "none", "random_oversample": "random_oversampling"}
    saved = [{"records": [{**r, "arm": old.get(r["arm"], r["arm"])} for r in res.records],
              "wall_s": 1.0, "cpu_s": 1.0}]  # fmt: skip
    kw = dict(folds=2, repeats=1, gan_seeds=1, seed=0, n_jobs=1)
    again = result_from_outputs([table], classical_arms(), ["logistic_regression"], saved, **kw)
    assert again.summary["rows"] == res.summary["rows"]


def test_keel_manifest_reads_digit_coded_columns_as_categories():
    path = default_keel_dir() / "kr-vs-k-zero_vs_eight.csv"
    if not path.is_file():
        pytest.skip(f"{path} not present")
    t = load_suite_table(path)
    assert t.nominal == list(t.X.columns) and len(t.nominal) == 6
    assert all(t.X[c].map(type).eq(str).all() for c in t.X.columns)
    assert set(t.X["White_king_row"]) <= {str(i) for i in range(1, 9)}
    assert len(t.y) == 1460 and np.bincount(t.y).min() == 27


def test_builtin_tables_get_the_demo_imbalance():
    t = load_suite_table("builtin:wine")
    counts = np.bincount(t.y)
    assert counts.tolist() == [59, 71, 5]  # class_2 keeps 10% of its 48 rows
    assert t.removed["n_removed"] == 43 and len(t.removed["rows"]) == 43


def test_mixed_table_all_arms_and_classifiers_run_deterministically():
    table = tiny_table(80, nominal=True)
    kw = dict(classifiers=["logistic_regression", "hist_gradient_boosting"], folds=2, repeats=1)
    a = run_suite([table], classical_arms(), **kw)
    b = run_suite([table], classical_arms(), **kw)
    score = [r["balanced_accuracy"] for r in a.records]
    assert score == [r["balanced_accuracy"] for r in b.records]
    assert len(score) == 5 * 2 * 2 and all(0 <= s <= 1 for s in score)
    assert a.summary["n_rows"] == 2


def tiny_gan(seed: int):
    from augment import ConditionalGANOverSampler

    return ConditionalGANOverSampler(epochs=1, random_state=seed, device="cpu")


def test_real_gan_oversampler_as_ours(one_thread):
    table = tiny_table(60, nominal=True)
    arms = {**classical_arms(), "ours": ours(tiny_gan)}  # "ours": the former name of gan
    res = run_suite([table], arms, ["logistic_regression"], folds=2, repeats=1)
    row = res.summary["rows"][0]
    assert set(row["arms"]) == {
        "baseline", "random_oversample", "smote", "class_weight", "threshold", "gan"
    }  # fmt: skip
    assert row["vs_best"]["gan"]["outcome"] in {"win", "tie", "loss"}
    assert row["arms"]["gan"]["resample_s"] > 0 and row["arms"]["gan"]["resample_cpu_s"] > 0


def test_a_per_classifier_arm_is_resampled_once_per_classifier_with_it(one_thread):
    from functools import partial

    from augment.suite import gan_oversampler

    calls = []

    def factory(seed, ctx, classifier=None):
        calls.append((seed, repr(classifier)))
        return gan_oversampler(seed, ctx, classifier, epochs=1, device="cpu",
                               tune_estimator="classifier", tune_step_budget=1)  # fmt: skip

    tuned_arm = Arm(partial(factory), classical=False, gan_seeds=True, per_classifier=True)
    arms = {"baseline": classical_arms()["baseline"], "tuned": tuned_arm}
    clfs = ["logistic_regression", "hist_gradient_boosting"]
    res = run_suite([tiny_table(90)], arms, clfs, folds=2, repeats=1, gan_seeds=1)
    tuned = [r for r in res.records if r["arm"] == "tuned"]
    assert len(tuned) == 2 * 2 and len(calls) == 2 * 2  # 2 folds x 2 classifiers
    assert sum("LogisticRegression" in c for _, c in calls) == 2
    assert sum("HistGradientBoosting" in c for _, c in calls) == 2
    assert all(r["resample_cpu_s"] > 0 for r in tuned)
    assert all(set(r["inner"]) == {"0.25", "0.5", "1.0"} and str(r["amount"]) in r["inner"]
               for r in tuned)  # fmt: skip
