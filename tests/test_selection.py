"""`augment.selection.TypicalRows`: which generated rows are kept, on hand-made candidates."""

import numpy as np
import pandas as pd
import pytest

from augment.selection import HerdedRows, TypicalRows


def _blobs(rng, centres, n, scale=0.3):
    return np.concatenate([rng.normal(c, scale, size=(n, 2)) for c in centres])


def _shuffled(rng, rows: np.ndarray) -> tuple[pd.DataFrame, np.ndarray]:
    """``rows`` in a random order (the rows a test wants kept are not simply the first n) and
    where each original row went: ``rows[i]`` is row ``at[i]`` of the frame."""
    order = rng.permutation(len(rows))
    at = np.argsort(order)
    return pd.DataFrame(rows[order], columns=["a", "b"]), at


def test_separable_class_keeps_only_candidates_in_its_own_region():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(_blobs(rng, [(-3, 0), (3, 0)], 40), columns=["a", "b"])
    y = np.repeat([0, 1], 40)
    # half the candidates for class 1 sit in class 0's region (a poorly conditioned generator)
    cand, _ = _shuffled(rng, _blobs(rng, [(3, 0), (-3, 0)], 50))
    keep = TypicalRows(X, y).choose(cand, 1, 30, rng)
    assert len(keep) == 30 and len(set(keep)) == 30
    assert (cand.iloc[keep]["a"] > 0).all()


def test_overlapping_class_keeps_its_spread():
    # class 1's real rows sit among class 0's: its real rows are impure, so the bar is low and
    # candidates among class 0 are as typical as the real ones
    rng = np.random.default_rng(1)
    X = pd.DataFrame(rng.normal(0, 1, size=(200, 2)), columns=["a", "b"])
    y = (rng.random(200) < 0.1).astype(int)
    # sorted: the first 50 are the left half, as shrunk as the failure this test is about
    cand = pd.DataFrame(rng.normal(0, 1, size=(100, 2)), columns=["a", "b"]).sort_values("a")
    cand = cand.reset_index(drop=True)
    assert cand["a"].iloc[:50].std() < 0.7  # what keeping the first n would give
    keep = TypicalRows(X, y).choose(cand, 1, 50, rng)
    assert len(keep) == 50
    assert cand.iloc[keep]["a"].std() > 0.7  # not shrunk onto the few purest spots


def test_rows_are_spread_over_the_class_real_rows():
    rng = np.random.default_rng(2)
    # class 1 has two real clusters of 5 rows; the generator makes 95% of its rows near one
    X = pd.DataFrame(
        np.concatenate([_blobs(rng, [(-5, 0)], 60), _blobs(rng, [(5, 5), (5, -5)], 5)]),
        columns=["a", "b"],
    )
    y = np.repeat([0, 1], [60, 10])
    cand = pd.DataFrame(
        np.concatenate([rng.normal((5, 5), 0.3, (190, 2)), rng.normal((5, -5), 0.3, (10, 2))]),
        columns=["a", "b"],
    )
    keep = TypicalRows(X, y).choose(cand, 1, 20, rng)
    # random choice would take about 1 of the 10 rare-cluster rows; one per anchor takes them all
    assert (cand.iloc[keep]["b"] < 0).sum() >= 8


def test_too_few_typical_candidates_are_filled_by_the_purest():
    rng = np.random.default_rng(3)
    X = pd.DataFrame(_blobs(rng, [(-3, 0), (3, 0)], 30), columns=["a", "b"])
    y = np.repeat([0, 1], 30)
    cand, at = _shuffled(
        rng, np.concatenate([rng.normal((3, 0), 0.3, (5, 2)), rng.normal((-3, 0), 0.3, (45, 2))])
    )
    keep = TypicalRows(X, y).choose(cand, 1, 20, rng)
    assert len(keep) == 20 and len(set(keep)) == 20
    assert set(at[:5].tolist()) <= set(keep.tolist())  # every typical candidate is among them


def test_mixed_types_missing_values_and_unseen_categories():
    rng = np.random.default_rng(4)
    n = 60
    X = pd.DataFrame(
        {
            "x": rng.normal(size=n),
            "i": rng.integers(0, 5, n),
            "c": rng.choice(["a", "b"], n),
            "k": pd.Categorical(rng.choice(["u", "v"], n)),
            "b": rng.random(n) < 0.5,
            "t": pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 99, n), "D"),
        }
    )
    X.loc[::7, "x"] = np.nan
    y = rng.integers(0, 2, n)
    cand = X.sample(40, replace=True, random_state=0).reset_index(drop=True)
    cand.loc[0, "c"] = "never-seen"
    keep = TypicalRows(X, y).choose(cand, 1, 10, rng)
    assert len(keep) == 10 and keep.min() >= 0 and keep.max() < 40


@pytest.mark.parametrize("n", [40, 50])
def test_asking_for_all_candidates_returns_them_all(n):
    rng = np.random.default_rng(5)
    X = pd.DataFrame(rng.normal(size=(30, 2)), columns=["a", "b"])
    y = np.repeat([0, 1], 15)
    cand = pd.DataFrame(rng.normal(size=(40, 2)), columns=["a", "b"])
    assert sorted(TypicalRows(X, y).choose(cand, 1, n, rng)) == list(range(40))


def test_the_bar_is_each_class_own_real_purity():
    # class 0: a tight cluster of its own (pure); class 1: rows scattered inside class 2's
    rng = np.random.default_rng(6)
    X = pd.DataFrame(
        np.concatenate(
            [rng.normal((-9, 0), 0.2, (30, 2)), rng.normal((5, 0), 1.0, (10, 2)),
             rng.normal((5, 0), 1.0, (60, 2))]
        ),
        columns=["a", "b"],
    )  # fmt: skip
    y = np.repeat([0, 1, 2], [30, 10, 60])
    rows = TypicalRows(X, y, k=5, quantile=0.25)
    assert rows.bar(0) == 1.0
    own = rows.real_purity[y == 1]
    assert rows.bar(1) == pytest.approx(np.quantile(own, 0.25)) and rows.bar(1) < 0.5
    assert rows.bar(2) > rows.bar(1)


def test_the_space_standardises_numbers_and_one_hots_categories():
    from augment.selection import RowSpace

    X = pd.DataFrame(
        {
            "x": [0.0, 2.0, 4.0, np.nan],
            "const": [3, 3, 3, 3],
            "c": ["a", "b", "a", None],
            "flag": [True, False, True, True],
            "t": pd.to_datetime(["2020-01-01", "2020-01-03", "2020-01-05", "2020-01-03"]),
        }
    )
    space = RowSpace(X)
    P = space.points(X)
    mean, std = 2.0, np.std([0.0, 2.0, 4.0])
    np.testing.assert_allclose(P[:, 0], [(0 - mean) / std, 0.0, (4 - mean) / std, 0.0])
    np.testing.assert_allclose(P[:, 1], 0.0)  # a constant column: std 1, all at 0
    t = P[:, 2]
    assert t[0] < t[1] < t[2] and t[1] == pytest.approx(t[3])  # datetimes as numbers
    onehot = P[:, 3:]
    assert onehot.shape[1] == 2 + 2  # categories a, b and the boolean's True, False
    # rows 0 and 1 differ in the category and the flag: one unit of distance each
    assert np.linalg.norm(onehot[0] - onehot[1]) == pytest.approx(np.sqrt(2))
    assert np.allclose(onehot[0], onehot[2])
    assert onehot[3, :2].sum() == 0  # a missing category is no category
    unseen = X.iloc[:1].assign(c="zzz")
    assert space.points(unseen)[0, 3:5].sum() == 0
    inf = X.iloc[:1].assign(x=np.inf)
    assert space.points(inf)[0, 0] == 0.0
    assert RowSpace(X[[]]).points(X[[]]).shape == (4, 1)


def test_small_spreads_are_standardised_and_infinities_sit_at_the_mean():
    from augment.selection import RowSpace

    small = pd.DataFrame({"s": [0.0, 0.1, 0.2]})
    space = RowSpace(small)
    np.testing.assert_allclose(space.points(small)[:, 0], [-1.224745, 0.0, 1.224745], atol=1e-6)
    odd = pd.DataFrame({"s": [-np.inf, np.inf, np.nan]})
    np.testing.assert_array_equal(space.points(odd)[:, 0], [0.0, 0.0, 0.0])


def test_herding_keeps_distinct_candidates_and_all_when_asked_for_all():
    rng = np.random.default_rng(3)
    X = pd.DataFrame(rng.normal(0, 1, size=(30, 2)), columns=["a", "b"])
    cand = pd.DataFrame(rng.normal(0, 1, size=(40, 2)), columns=["a", "b"])
    chooser = HerdedRows(X, np.zeros(30, dtype=int))
    keep = chooser.choose(cand, 0, 25, rng)
    assert len(keep) == 25 and len(set(keep)) == 25 and keep.min() >= 0 and keep.max() < 40
    assert list(chooser.choose(cand, 0, 40, rng)) == list(range(40))


def test_herding_matches_the_real_spread_where_the_generator_is_too_broad():
    # a generator whose rows are twice as spread as the class: a random subset keeps that
    # spread, herding keeps rows distributed like the real ones
    rng = np.random.default_rng(4)
    X = pd.DataFrame(rng.normal(0, 1, size=(60, 2)), columns=["a", "b"])
    cand = pd.DataFrame(rng.normal(0, 2, size=(500, 2)), columns=["a", "b"])
    kept = cand.iloc[HerdedRows(X, np.zeros(60, dtype=int)).choose(cand, 0, 100, rng)]
    assert 0.8 < kept["a"].std() < 1.2 and 0.8 < kept["b"].std() < 1.2
    assert cand.sample(100, random_state=0)["a"].std() > 1.6  # what no selection gives


def test_herding_covers_every_real_cluster_in_proportion():
    # class 1's real rows: 20 at -3 and 10 at +3; the generator puts 95% of its rows at -3.
    # Class 0 sits elsewhere and must not pull on class 1's rows.
    rng = np.random.default_rng(5)
    a = np.r_[rng.normal(-3, 0.3, 20), rng.normal(3, 0.3, 10), rng.normal(10, 0.3, 50)]
    X, y = pd.DataFrame({"a": a}), np.r_[np.ones(30, dtype=int), np.zeros(50, dtype=int)]
    cand = pd.DataFrame({"a": np.r_[rng.normal(-3, 0.3, 380), rng.normal(3, 0.3, 20)]})
    kept = cand.iloc[HerdedRows(X, y).choose(cand, 1, 30, rng)]["a"]
    assert 8 <= (kept > 0).sum() <= 12  # a third, as in the real rows (a random third: ~1.5)


def test_herding_in_blocks_past_the_block_size(monkeypatch):
    import augment.selection as selection

    monkeypatch.setattr(selection, "HERD_BLOCK", 20)
    rng = np.random.default_rng(6)
    real = rng.normal(0, 1, size=(50, 2))
    cand = rng.normal(0, 2, size=(400, 2))
    keep = selection.herd(real, cand, 90, rng)  # 5 blocks of 18
    assert len(keep) == 90 and len(set(keep)) == 90 and list(keep) == sorted(keep)
    assert 0.75 < cand[keep, 0].std() < 1.25  # each block matches the real rows


def test_a_class_without_real_rows_gets_any_distinct_candidates():
    rng = np.random.default_rng(7)
    X = pd.DataFrame({"a": rng.normal(size=10)})
    cand = pd.DataFrame({"a": rng.normal(size=20)})
    keep = HerdedRows(X, np.zeros(10, dtype=int)).choose(cand, 1, 5, rng)
    assert len(set(keep)) == 5


def test_registry_holds_the_built_ins_in_their_order():
    from augment.selection import SELECTIONS, SELECTORS, first_rows

    assert SELECTIONS == ("herd", "typical", "all") == tuple(SELECTORS)[:3]
    assert SELECTORS["herd"] is HerdedRows and SELECTORS["typical"] is TypicalRows
    assert SELECTORS["all"] is first_rows


def test_make_selector_builds_the_registered_rule_with_its_params():
    from augment.selection import make_selector

    rng = np.random.default_rng(8)
    X, y = pd.DataFrame({"a": rng.normal(size=40)}), np.r_[np.zeros(30), np.ones(10)].astype(int)
    assert isinstance(make_selector("herd", X, y), HerdedRows)
    typical = make_selector("typical", X, y, k=3, quantile=0.5)
    assert isinstance(typical, TypicalRows) and (typical.k, typical.quantile) == (3, 0.5)
    assert make_selector("all", X, y) is None
    with pytest.raises(ValueError, match=r"unknown selection 'nope'; allowed: herd, typical, all"):
        make_selector("nope", X, y)


def test_register_selector_adds_a_rule_by_name(monkeypatch):
    import augment.selection as selection

    monkeypatch.setattr(selection, "SELECTORS", dict(selection.SELECTORS))

    @selection.register_selector("first")
    class First:
        def __init__(self, X, y) -> None:
            self.n_real = len(X)

        def choose(self, candidates, label, n, rng):
            return np.arange(n)

    X, y = pd.DataFrame({"a": [0.0, 1.0]}), np.array([0, 1])
    chooser = selection.make_selector("first", X, y)
    assert isinstance(chooser, First) and chooser.n_real == 2
    assert list(chooser.choose(X, 1, 1, np.random.default_rng(0))) == [0]
    with pytest.raises(ValueError, match="'first' is already registered"):
        selection.register_selector("first")(First)
    assert selection.register_selector("first", replace=True)(dict) is dict
    with pytest.raises(ValueError, match="non-empty string"):
        selection.register_selector("")
