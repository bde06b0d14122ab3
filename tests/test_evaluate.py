import numpy as np
import pytest

from augment.evaluate import aggregate, c2st_auc, deltas_and_gap, downstream_metrics


def test_aggregate_t_interval():
    a = aggregate([0.8, 0.9, 1.0])
    assert a["mean"] == pytest.approx(0.9)
    assert a["std"] == pytest.approx(0.1)
    half = 4.302653 * 0.1 / np.sqrt(3)  # t(0.975, 2)
    assert a["ci95"] == pytest.approx([0.9 - half, 1.0], rel=1e-5)  # clipped: a proportion
    b = aggregate([0.4, 0.5, 0.6])
    assert b["ci95"] == pytest.approx([0.5 - half, 0.5 + half], rel=1e-5)  # inside: untouched
    assert aggregate([0.5])["ci95"] == [0.5, 0.5]


def test_minority_recall():
    m = downstream_metrics(np.array([0, 0, 1, 1]), np.array([0, 0, 1, 0]), minority=[1])
    assert m["minority_recall"] == 0.5
    assert m["accuracy"] == 0.75


def _arm(v):
    return {
        k: {"mean": v} for k in ("balanced_accuracy", "macro_f1", "accuracy", "minority_recall")
    }


def test_gap_recovered():
    deltas, gap = deltas_and_gap({"baseline": _arm(0.8), "gan": _arm(0.85), "oracle": _arm(0.9)})
    assert gap["gan"] == pytest.approx(0.5)
    assert deltas["gan"]["balanced_accuracy"] == pytest.approx(0.05)
    assert "oracle" not in gap


def test_c2st_tells_apart_and_not():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(200, 3)), rng.normal(size=(200, 3))
    assert c2st_auc(a, b) < 0.65
    assert c2st_auc(a, b + 3) > 0.95
