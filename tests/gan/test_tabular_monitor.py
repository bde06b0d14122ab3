"""Early stopping of the tabular GAN on a held-out fidelity distance."""

import logging

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from augment import InvalidDataError, load_dataset
from augment.gan import TabularCGAN, TabularGANConfig
from augment.gan.tabular_monitor import fidelity_distance, holdout_split, ks_statistic

TINY = {"batch_size": 32, "hidden": 16}


def _table(n: int = 400, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.choice(2, n, p=[0.7, 0.3])
    X = pd.DataFrame(
        {
            "a": rng.normal(2.0 * y, 1.0),
            "b": rng.lognormal(0.3 * y, 0.5),
            "n": rng.poisson(2 + y).astype(np.int64),
            "t": pd.Series(np.where(rng.random(n) < 0.3 + 0.4 * y, "x", "z"), dtype=object),
        }
    )
    X["c"] = X["a"] + rng.normal(0, 0.5, n)  # correlated with "a" inside each class
    X.loc[rng.random(n) < 0.05, "b"] = np.nan
    return X, y


def test_ks_statistic_matches_scipy_and_counts_missing_values():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=300), rng.normal(0.4, size=200)
    assert ks_statistic(a, b) == pytest.approx(stats.ks_2samp(a, b).statistic)
    assert ks_statistic(a, a) == 0.0
    half_missing = np.where(np.arange(300) % 2 == 0, np.nan, a)
    assert ks_statistic(a, half_missing) >= 0.5  # half the rows went to the NaN atom


def test_fidelity_distance_zero_on_identical_and_grows_with_damage():
    X, y = _table(2000)
    same = fidelity_distance(X, X, y, y, ["t"])
    assert same == {"marginal": 0.0, "correlation": 0.0, "distance": 0.0}
    X2, y2 = _table(2000, seed=1)  # a fresh draw of the same distribution: small
    fresh = fidelity_distance(X, X2, y, y2, ["t"])["distance"]
    assert 0 < fresh < 0.06
    shifted = X2.assign(a=X2["a"] + 1.0)
    assert fidelity_distance(X, shifted, y, y2, ["t"])["distance"] > fresh + 0.03
    swapped = fidelity_distance(X, X2, y, 1 - y2, ["t"])  # classes confused: per-class gaps
    assert swapped["marginal"] > 3 * fidelity_distance(X, X2, y, y2, ["t"])["marginal"]
    # columns shuffled independently: marginals kept, correlations lost
    rng = np.random.default_rng(0)
    order = np.argsort(y, kind="stable")
    Xs, ys = X.iloc[order].reset_index(drop=True), y[order]
    scrambled = Xs.copy()
    for c in ("a", "b", "n", "c"):
        for k in (0, 1):
            rows = np.flatnonzero(ys == k)
            scrambled.loc[rows, c] = Xs.loc[rng.permutation(rows), c].to_numpy()
    d = fidelity_distance(Xs, scrambled, ys, ys, ["t"])
    assert d["marginal"] == 0.0 and d["correlation"] > 0.02


def test_holdout_split_is_stratified_and_keeps_every_class():
    codes = np.array([0] * 50 + [1] * 7 + [2] * 2 + [3])
    train, val = holdout_split(codes, 0.1, np.random.default_rng(0))
    assert np.bincount(codes[val], minlength=4).tolist() == [5, 1, 1, 0]
    assert np.bincount(codes[train], minlength=4).tolist() == [45, 6, 1, 1]
    assert not set(train) & set(val) and len(train) + len(val) == len(codes)


def test_patience_stops_early_keeps_best_weights_and_logs(caplog):
    X, y = _table()
    cfg = TabularGANConfig(epochs=40, eval_every=1, patience=2, **TINY)
    with caplog.at_level(logging.INFO, logger="augment.gan.tabular_monitor"):
        gan = TabularCGAN(cfg, random_state=0, progress=False).fit(X, y)
    rows = gan.history.rows
    checks = [(r["epoch"], r["val_distance"]) for r in rows if "val_distance" in r]
    assert len(checks) == len(rows) < 40  # stopped early
    best_epoch, best = min(checks, key=lambda c: c[1])
    assert (gan.best_epoch_, gan.best_val_distance_) == (best_epoch, best)
    assert rows[-1]["epoch"] == best_epoch + 2  # exactly `patience` checks after the best
    assert f"best held-out distance {best:.4f} at epoch {best_epoch}" in caplog.text
    # the kept weights are the best epoch's: a fit that ends there samples the same rows
    cut = TabularGANConfig(epochs=best_epoch, eval_every=1, patience=2, **TINY)
    ref = TabularCGAN(cut, random_state=0, progress=False).fit(X, y)
    pd.testing.assert_frame_equal(
        gan.sample(50, 1, random_state=3), ref.sample(50, 1, random_state=3)
    )


def test_off_by_default_no_held_out_rows_no_checks():
    X, y = _table()
    plain = TabularCGAN(TabularGANConfig(epochs=3, **TINY), random_state=0, progress=False)
    plain.fit(X, y)
    other = TabularGANConfig(epochs=3, eval_every=1, **TINY)  # eval_every alone changes nothing
    same = TabularCGAN(other, random_state=0, progress=False).fit(X, y)
    assert len(plain.history.rows) == 3 and "val_distance" not in plain.history.rows[-1]
    assert plain.history.rows == same.history.rows
    assert plain.conditions_.freq_[0].sum() == len(X)  # trained on every row
    assert not hasattr(plain, "best_epoch_")
    pd.testing.assert_frame_equal(
        plain.sample(20, 0, random_state=1), same.sample(20, 0, random_state=1)
    )


def test_held_out_rows_are_not_trained_on():
    X, y = _table(100)
    X["t"] = "z"
    y[:2] = 2  # class 2 has 2 rows: one is held out, one trains
    X.loc[0, "t"], X.loc[1, "t"] = "only0", "only1"
    cfg = TabularGANConfig(epochs=1, patience=1, val_fraction=0.1, **TINY)
    gan = TabularCGAN(cfg, random_state=0, progress=False).fit(X, y)
    held = sum(max(1, round(0.1 * n)) for n in np.bincount(y))
    assert gan.conditions_.freq_[0].sum() == len(X) - held
    seen = set(gan.transformer_.info_["t"]["categories"])
    assert len(seen & {"only0", "only1"}) == 1  # the held-out row's value never reached the GAN
    assert "val_distance" in gan.history.rows[-1]  # the last epoch is always checked


def test_bad_val_fraction_is_named():
    X, y = _table(50)
    cfg = TabularGANConfig(epochs=1, patience=1, val_fraction=1.5, **TINY)
    with pytest.raises(InvalidDataError, match="val_fraction=1.5"):
        TabularCGAN(cfg, random_state=0, progress=False).fit(X, y)


def test_resumed_fit_with_patience_equals_uninterrupted(tmp_path):
    X, y = _table()
    cfg = TabularGANConfig(epochs=30, eval_every=1, patience=2, **TINY)
    straight = TabularCGAN(cfg, random_state=0, progress=False).fit(X, y)
    ckpt = tmp_path / "g.pt"
    stop = len(straight.history.rows)
    first = TabularGANConfig(epochs=stop - 1, eval_every=1, patience=2, **TINY)
    TabularCGAN(first, random_state=0, progress=False).fit(
        X, y, checkpoint=ckpt, checkpoint_every=1
    )
    assert (tmp_path / "g.pt.monitor").is_file()
    resumed = TabularCGAN(cfg, random_state=0, progress=False).fit(
        X, y, checkpoint=ckpt, checkpoint_every=1
    )
    assert len(resumed.history.rows) == stop  # stops where the uninterrupted fit did
    assert resumed.best_epoch_ == straight.best_epoch_ < stop - 1  # best weights from before
    assert [r.get("val_distance") for r in resumed.history.rows] == pytest.approx(
        [r.get("val_distance") for r in straight.history.rows], rel=1e-6
    )
    pd.testing.assert_frame_equal(
        resumed.sample(30, 0, random_state=2), straight.sample(30, 0, random_state=2)
    )
    # a fit resumed from a finished checkpoint trains no epoch but keeps the best weights
    done = TabularGANConfig(epochs=stop - 1, eval_every=1, patience=2, **TINY)
    again = TabularCGAN(done, random_state=0, progress=False).fit(X, y, checkpoint=ckpt)
    assert again.best_epoch_ == straight.best_epoch_
    pd.testing.assert_frame_equal(
        again.sample(30, 0, random_state=2), straight.sample(30, 0, random_state=2)
    )


def test_fit_generator_passes_patience_to_tables():
    from augment.config import build_config
    from augment.data import make_splits
    from augment.experiment import fit_generator

    cfg = build_config({"gan": {"epochs": 3, "eval_every": 1, "patience": 5, "batch_size": 32}})
    splits = make_splits(load_dataset("builtin:wine"), 0.3, 0, [], 1.0)
    model = fit_generator(splits.train, cfg.gan, progress=False)
    assert all("val_distance" in r for r in model.history.rows)


def test_loss_curves_plot_the_check_values(tmp_path):
    from augment.gan.history import History
    from augment.plots import loss_curves

    rows = [
        {"epoch": e, "d_loss": 1.0, "g_loss": 1.0, "d_real": 0.0, "d_fake": 0.0}
        | ({"val_distance": 1 / e} if e % 2 == 0 else {})
        for e in range(1, 7)
    ]
    assert loss_curves(History(rows), tmp_path / "l.png").stat().st_size > 0
