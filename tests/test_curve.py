"""The learning curve's arithmetic on made-up numbers: worth read off the baseline's curve."""

import math

import numpy as np
import pytest

from augment.config import RunConfig
from augment.curve import (
    Worth,
    curve_arms,
    fraction_config,
    minority_rows,
    monotone,
    parse_fractions,
    point,
    table_text,
    with_worth,
    worth,
)
from augment.exceptions import ConfigError

FRACTIONS = [0.05, 0.1, 0.25, 0.5, 1.0]
ROWS = [10, 20, 50, 100, 200]
BASE = [0.60, 0.70, 0.80, 0.85, 0.90]  # monotone


def _agg(mean, half=0.02):
    return {"balanced_accuracy": {"mean": mean, "std": half, "ci95": [mean - half, mean + half]}}


def _curve(arm_means, half=0.02):
    points = [
        point(f, r, 300 + r, {"baseline": _agg(b), "gan": _agg(a, half)}, {"gan": 100})
        for f, r, b, a in zip(FRACTIONS, ROWS, BASE, arm_means, strict=True)
    ]
    return with_worth(points)


def _worth(d):
    return Worth(d["where"], d["fraction"], d["rows"])


def test_parse_fractions_sorts_and_checks():
    assert parse_fractions("1, 0.1,0.5,0.1") == [0.1, 0.5, 1.0]
    for bad in ("0.5", "0,0.5", "0.5,1.5", "a,1", "nan,1"):
        with pytest.raises(ConfigError, match="--fractions"):
            parse_fractions(bad)


def test_fraction_config_changes_only_the_fraction():
    cfg = RunConfig()
    cut = fraction_config(cfg, 0.25)
    assert cut.data.imbalance_fraction == 0.25
    assert cut.model_dump(exclude={"data"}) == cfg.model_dump(exclude={"data"})
    assert cut.data.model_dump(exclude={"imbalance_fraction"}) == cfg.data.model_dump(
        exclude={"imbalance_fraction"}
    )


def test_curve_arms_put_the_baseline_first_and_leave_the_oracle_out():
    assert curve_arms(["gan", "oracle", "smote"]) == (["baseline", "gan", "smote"], ["oracle"])


def test_minority_rows_counts_the_named_classes():
    assert minority_rows(np.array([0, 1, 1, 2, 2, 2]), ["a", "b", "c"], ["b", "c"]) == 5


def test_monotone_pools_a_dip_and_keeps_a_rising_curve():
    assert monotone(BASE).tolist() == BASE
    assert np.allclose(monotone([0.6, 0.8, 0.7, 0.9]), [0.6, 0.75, 0.75, 0.9])


def test_an_arm_equal_to_the_baseline_is_worth_its_own_fraction():
    curve = _curve(BASE)
    for p in curve["points"]:
        w = p["arms"]["gan"]["worth"]["point"]
        assert w["where"] == "on"
        assert w["fraction"] == pytest.approx(p["fraction"])
        assert w["rows"] == pytest.approx(p["minority_rows"])
        assert p["arms"]["gan"]["real_rows_per_added_row"] == pytest.approx(0.0)


def test_worth_interpolates_linearly_between_fractions():
    w = worth(0.75, FRACTIONS, ROWS, BASE)  # halfway between 0.10 (0.70) and 0.25 (0.80)
    assert w.where == "on"
    assert w.fraction == pytest.approx(0.175) and w.rows == pytest.approx(35)


def test_above_the_full_baseline_is_beyond_and_under_the_first_is_below():
    assert worth(0.95, FRACTIONS, ROWS, BASE).where == "beyond"
    assert worth(0.50, FRACTIONS, ROWS, BASE).where == "below"
    curve = _curve([0.75, 0.8, 0.85, 0.9, 0.93])
    last = curve["points"][-1]["arms"]["gan"]
    assert last["worth"]["point"]["where"] == "beyond"
    assert last["real_rows_per_added_row"] is None
    first = curve["points"][0]["arms"]["gan"]
    assert first["worth"]["point"]["fraction"] == pytest.approx(0.175)
    assert first["real_rows_per_added_row"] == pytest.approx((35 - 10) / 100)


def test_intervals_are_ordered():
    curve = _curve([0.62, 0.74, 0.84, 0.88, 0.89], half=0.05)
    for p in curve["points"]:
        w = p["arms"]["gan"]["worth"]
        lo, mid, hi = (_worth(w[k]).order() for k in ("low", "point", "high"))
        assert lo <= mid <= hi
    assert _worth(curve["points"][0]["arms"]["gan"]["worth"]["low"]).order() == -math.inf
    assert _worth(curve["points"][-1]["arms"]["gan"]["worth"]["high"]).order() == math.inf


def test_a_noisy_baseline_is_read_off_its_monotone_fit():
    points = [
        point(f, r, 300, {"baseline": _agg(b), "gan": _agg(0.77)}, {})
        for f, r, b in zip(FRACTIONS[:4], ROWS[:4], [0.6, 0.8, 0.7, 0.9], strict=True)
    ]
    curve = with_worth(points)
    assert curve["baseline_curve"]["monotone_mean"] == pytest.approx([0.6, 0.75, 0.75, 0.9])
    w = curve["points"][0]["arms"]["gan"]["worth"]["point"]
    assert 0.25 < w["fraction"] < 0.5  # past the pooled plateau, not folded back to 0.1


def test_table_names_every_arm_and_the_worth():
    text = table_text(_curve([0.75, 0.8, 0.85, 0.9, 0.93]))
    assert "beyond" in text and "17.5%" in text and "gan" in text and "baseline" in text
    assert len(text.splitlines()) == 2 + 2 * len(FRACTIONS)
