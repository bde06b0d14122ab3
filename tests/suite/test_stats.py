"""Statistics of the suite against hand-computed and published values."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from augment.suite.plot import cliques
from augment.suite.stats import (
    corrected_ttest,
    friedman,
    mean_ci,
    mean_ranks,
    nemenyi_cd,
    win_tie_loss,
)
from augment.suite.summary import summarize


def test_corrected_ttest_matches_hand_computation():
    a = np.array([0.80, 0.70, 0.90, 0.85])
    b = np.array([0.75, 0.70, 0.80, 0.80])
    # d = [.05, 0, .1, .05]: mean .05, s^2 = .005/3; 2-fold: n_test/n_train = 1
    t, p = corrected_ttest(a, b, test_train_ratio=1.0)
    t_hand = 0.05 / math.sqrt((1 / 4 + 1) * 0.005 / 3)  # = sqrt(1.2)
    assert t == pytest.approx(t_hand) == pytest.approx(math.sqrt(1.2))
    assert p == pytest.approx(2 * stats.t.sf(t_hand, 3))
    # the plain paired t-test is the anti-conservative one: larger t, smaller p
    plain = stats.ttest_rel(a, b)
    assert plain.statistic > t and plain.pvalue < p


def test_corrected_ttest_zero_variance():
    assert corrected_ttest(np.ones(4), np.ones(4), 0.5) == (0.0, 1.0)
    t, p = corrected_ttest(np.ones(4), np.zeros(4), 0.5)
    assert t == math.inf and p == 0.0


def test_mean_ci_uses_corrected_variance():
    v = np.array([0.6, 0.7, 0.8, 0.7, 0.6, 0.8])  # 3-fold x 2: ratio 1/2
    mean, lo, hi = mean_ci(v, 0.5)
    half = stats.t.ppf(0.975, 5) * math.sqrt((1 / 6 + 0.5) * v.var(ddof=1))
    assert mean == pytest.approx(0.7)
    assert (lo, hi) == pytest.approx((0.7 - half, 0.7 + half))


def test_win_tie_loss():
    assert win_tie_loss(0.02, 0.01) == "win"
    assert win_tie_loss(-0.02, 0.01) == "loss"
    assert win_tie_loss(0.02, 0.2) == "tie"
    assert win_tie_loss(0.0, 0.0) == "tie"


def test_mean_ranks_with_ties():
    scores = np.array([[0.9, 0.8, 0.8], [0.7, 0.9, 0.6]])
    assert mean_ranks(scores) == pytest.approx([1.5, 1.75, 2.75])


def test_friedman_and_cd_reproduce_demsar_2006():
    # Demšar (2006), section 3.2.2: 4 classifiers on 14 data sets
    ranks = np.array([3.143, 2.000, 2.893, 1.964])
    f = friedman(ranks, 14)
    assert f["chi2"] == pytest.approx(9.28, abs=0.01)
    assert f["iman_davenport_f"] == pytest.approx(3.69, abs=0.01)
    assert f["p_f"] < 0.05
    assert nemenyi_cd(4, 14) == pytest.approx(1.25, abs=0.005)
    # beyond the table: the studentized range gives the same q as the table at k = 10
    assert nemenyi_cd(11, 30) > nemenyi_cd(10, 30)


def test_cliques_group_arms_within_cd():
    ranks = {"a": 1.0, "b": 1.5, "c": 3.0, "d": 3.2}
    assert cliques(ranks, 0.6) == [["a", "b"], ["c", "d"]]
    assert cliques(ranks, 5.0) == [["a", "b", "c", "d"]]


def _records(table, clf, arm, values):
    return [
        {"table": table, "classifier": clf, "arm": arm, "repeat": i // 2, "fold": i % 2, "k": 0,
         "balanced_accuracy": v, "resample_s": 0.1, "fit_s": 0.01}
        for i, v in enumerate(values)
    ]  # fmt: skip


def test_summarize_picks_best_classical_and_counts():
    recs = []
    recs += _records("t1", "lr", "none", [0.60, 0.62, 0.61, 0.63])
    recs += _records("t1", "lr", "smote", [0.70, 0.72, 0.71, 0.73])
    recs += _records("t1", "lr", "ours", [0.80, 0.83, 0.81, 0.82])  # clearly above smote
    recs += _records("t2", "lr", "none", [0.90, 0.80, 0.90, 0.80])
    recs += _records("t2", "lr", "smote", [0.70, 0.75, 0.70, 0.75])
    recs += _records("t2", "lr", "ours", [0.91, 0.79, 0.88, 0.83])  # noisy, ~ none
    s = summarize(recs, ["t1", "t2"], ["lr"], {"none": True, "smote": True, "ours": False}, 2)
    r1, r2 = s["rows"]
    assert r1["best_classical"] == "smote" and r2["best_classical"] == "none"
    assert r1["vs_best"]["ours"]["outcome"] == "win"
    assert r2["vs_best"]["ours"]["outcome"] == "tie"
    assert s["counts"]["ours"] == {"win": 1, "tie": 1, "loss": 0, "mean_above": 2}
    assert s["ranks"] == pytest.approx({"none": 2.5, "smote": 2.5, "ours": 1.0})
    # the reference for "ours above the best classical arm": how often each arm is the only best
    assert s["top"] == {"none": 0, "smote": 0, "ours": 2}


def test_top_counts_rows_where_an_arm_is_strictly_best():
    recs = []
    recs += _records("t1", "lr", "none", [0.60, 0.62, 0.61, 0.63])
    recs += _records("t1", "lr", "smote", [0.70, 0.72, 0.71, 0.73])  # best on t1
    recs += _records("t1", "lr", "ours", [0.50, 0.52, 0.51, 0.53])
    recs += _records("t2", "lr", "none", [1.0, 1.0, 1.0, 1.0])  # a ceiling: nobody is above
    recs += _records("t2", "lr", "smote", [1.0, 1.0, 1.0, 1.0])
    recs += _records("t2", "lr", "ours", [1.0, 1.0, 1.0, 1.0])
    s = summarize(recs, ["t1", "t2"], ["lr"], {"none": True, "smote": True, "ours": False}, 2)
    assert s["top"] == {"none": 0, "smote": 1, "ours": 0}


def test_gan_seeds_are_averaged_per_fold():
    recs = _records("t", "lr", "ours", [0.5, 0.5, 0.5, 0.5])
    recs += [{**r, "k": 1, "balanced_accuracy": 0.7} for r in recs]
    recs += _records("t", "lr", "none", [0.6, 0.6, 0.6, 0.6])
    s = summarize(recs, ["t"], ["lr"], {"none": True, "ours": False}, 2)
    assert s["rows"][0]["arms"]["ours"]["values"] == pytest.approx([0.6] * 4)  # J = 4, not 8


def test_the_cd_diagram_title_names_the_rows_its_ranks_are_over():
    from augment.suite.report import cd_title

    assert cd_title({"n_rows": 28, "n_ranked": 28}) == "mean rank over 28 table x classifier rows"
    assert cd_title({"n_rows": 28}) == "mean rank over 28 table x classifier rows"  # older JSON
    title = cd_title({"n_rows": 28, "n_ranked": 22})
    assert title == "mean rank over the 22 of 28 rows where every arm ran"
