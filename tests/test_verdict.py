"""The verdict in words, and intervals that stay within [0, 1]."""

import pytest

from augment.evaluate import aggregate, deltas_and_gap, summarize_arms
from augment.experiment.verdict import verdict


def _summary(per_arm: dict[str, list[float]], c2st: float | None = None) -> dict:
    arms = summarize_arms(
        {
            a: [
                dict.fromkeys(("balanced_accuracy", "macro_f1", "accuracy", "minority_recall"), v)
                for v in values
            ]
            for a, values in per_arm.items()
        }
    )
    deltas, gap = deltas_and_gap(arms)
    quality = {"c2st_auc": c2st} if c2st is not None else {}
    return {
        "arms": arms,
        "delta_vs_baseline": deltas,
        "gap_recovered": gap,
        "synthetic_quality": quality,
    }


def test_a_difference_that_holds_on_every_seed_is_called_separated():
    s = _summary(
        {
            "baseline": [0.70, 0.72, 0.71],
            "gan": [0.90, 0.93, 0.91],
            "smote": [0.85, 0.88, 0.86],
            "oracle": [0.99, 0.99, 0.98],
        }
    )
    v = verdict(s)
    assert (v["best"], v["runner_up"], v["separated"]) == ("gan", "smote", True)
    assert v["paired_ci95"][0] > 0
    assert "holds across seeds" in v["lines"][1]
    assert "of the gap to the oracle" in v["lines"][2]


def test_overlapping_arms_are_called_indistinguishable():
    s = _summary(
        {"baseline": [0.7, 0.7, 0.7], "gan": [0.90, 0.84, 0.88], "smote": [0.86, 0.87, 0.85]}
    )
    v = verdict(s)
    assert v["separated"] is False
    assert "gan and smote are indistinguishable on this data" in v["lines"][1]


def test_the_oracle_is_a_reference_never_the_best_arm():
    s = _summary({"baseline": [0.7, 0.71], "oracle": [0.99, 0.99], "smote": [0.8, 0.82]})
    assert verdict(s)["best"] == "smote"


def test_one_seed_gives_no_verdict_on_the_difference():
    v = verdict(_summary({"baseline": [0.7], "gan": [0.8]}))
    assert v["paired_ci95"] is None and "no interval" in v["lines"][1]


def test_trivially_separable_synthetic_rows_are_noted():
    arms = {"baseline": [0.7, 0.72], "gan": [0.8, 0.82]}
    assert "c2st_auc 0.990" in verdict(_summary(arms, c2st=0.99))["lines"][-1]
    assert not any("c2st" in x for x in verdict(_summary(arms, c2st=0.70))["lines"])


def test_intervals_stay_within_zero_and_one():
    # the case: a t-interval on 2 seeds gave [0.539, 1.033]
    agg = aggregate([0.80, 0.99])
    assert agg["ci95"][1] == 1.0 and 0.0 <= agg["ci95"][0] < 0.80
    assert aggregate([0.0, 0.2])["ci95"][0] == 0.0


def test_a_c2st_below_chance_is_explained():
    # the case: 0.272 on a small table, printed without a word
    arms = {"baseline": [0.7, 0.72], "gan": [0.8, 0.82]}
    said = verdict(_summary(arms, c2st=0.272))["lines"][-1]
    assert "c2st_auc 0.272 is below 0.5" in said and "worse than chance" in said
    assert "about 0.5" in said
    assert not any("c2st" in x for x in verdict(_summary(arms, c2st=0.55))["lines"])


def _mixed(per_arm: dict[str, list[tuple[float, float]]]) -> dict:
    """Arms whose per-seed (balanced accuracy, macro-F1) differ; accuracy and minority recall
    follow balanced accuracy."""
    arms = summarize_arms(
        {
            a: [
                {"balanced_accuracy": b, "macro_f1": f, "accuracy": b, "minority_recall": b}
                for b, f in values
            ]
            for a, values in per_arm.items()
        }
    )
    deltas, gap = deltas_and_gap(arms)
    return {"arms": arms, "delta_vs_baseline": deltas, "gap_recovered": gap}


def test_a_loss_on_another_metric_is_flagged():
    # the case: gan best on balanced accuracy while macro-F1 fell 0.042
    s = _mixed(
        {
            "baseline": [(0.70, 0.70), (0.72, 0.72)],
            "gan": [(0.75, 0.658), (0.77, 0.678)],
        }
    )
    v = verdict(s)
    assert v["best"] == "gan" and v["losses_vs_baseline"] == {"macro_f1": pytest.approx(-0.042)}
    said = " ".join(v["lines"])
    assert "macro F1 -0.042 vs the baseline" in said
    # a loss within the stated amount, or on the baseline itself, is not flagged
    s = _mixed({"baseline": [(0.70, 0.70), (0.72, 0.72)], "gan": [(0.75, 0.695), (0.77, 0.715)]})
    assert verdict(s)["losses_vs_baseline"] == {} and "vs the baseline" not in " ".join(
        verdict(s)["lines"]
    )
    assert verdict(_mixed({"baseline": [(0.8, 0.5), (0.8, 0.5)]}))["losses_vs_baseline"] == {}


def test_a_share_of_the_oracle_gap_above_100_percent_is_explained():
    s = _summary({"baseline": [0.70, 0.70], "gan": [0.758, 0.758], "oracle": [0.75, 0.75]})
    line = [x for x in verdict(s)["lines"] if "over the baseline" in x][0]
    assert "beyond the oracle" in line and "not an upper bound" in line
    assert "116%" in line and "of the gap to the oracle" not in line
    s = _summary({"baseline": [0.70, 0.70], "gan": [0.72, 0.72], "oracle": [0.75, 0.75]})
    assert "40% of the gap to the oracle" in " ".join(verdict(s)["lines"])
    s = _summary({"baseline": [0.70, 0.70], "gan": [0.72, 0.72], "oracle": [0.69, 0.69]})
    said = " ".join(verdict(s)["lines"])
    assert "the oracle does not beat the baseline" in said and "of the gap" not in said
