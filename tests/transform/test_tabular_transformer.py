import json

import numpy as np
import pandas as pd
import pytest

from augment import InvalidDataError
from augment.transform import Span, TabularTransformer
from augment.transform.gmm import fit_gmm, sample_rows


def _odd_table(n=300, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "f": np.where(rng.random(n) < 0.2, np.nan, rng.normal(size=n)),
            "bimodal": np.r_[rng.normal(-5, 0.3, n // 2), rng.normal(5, 0.3, n - n // 2)],
            "i": rng.integers(0, 5, n),
            "money": np.round(rng.lognormal(3, 1, n), 2),
            "I": pd.array(np.where(rng.random(n) < 0.1, None, rng.integers(0, 9, n)), "Int64"),
            "b": rng.random(n) < 0.3,
            "day": pd.to_datetime("2020-01-01") + pd.to_timedelta(rng.integers(0, 900, n), "D"),
            "ts": pd.Series(
                pd.to_datetime("2021-01-01", utc=True)
                + pd.to_timedelta(rng.integers(0, 10**6, n), "s")
            ).where(rng.random(n) > 0.1),
            "s": pd.Series(rng.choice(["a", "b", None], n), dtype=object),
            "many": [f"k{v}" for v in rng.zipf(1.5, n)],
            "cat": pd.Categorical(rng.choice(["x", "y"], n)),
        }
    )


def test_roundtrip_is_exact_for_every_type():
    X = _odd_table()
    t = TabularTransformer(max_categories=10).fit(X)
    back = TabularTransformer.from_dict(json.loads(json.dumps(t.to_dict()))).inverse_transform(
        t.transform(X)
    )
    assert back.dtypes.to_dict() == X.dtypes.to_dict()
    for col in X.columns:
        assert (back[col].isna() == X[col].isna()).all(), col
    for col in ["i", "I", "b", "day", "ts", "s", "cat", "money"]:
        pd.testing.assert_series_equal(back[col], X[col], check_exact=True, obj=col)
    frequent = X["many"].isin(X["many"].value_counts().index[:9])  # the rest share `other`
    assert (back["many"][frequent] == X["many"][frequent]).all()
    assert back["many"][~frequent].isin(X["many"][~frequent]).all()
    for col in ["f", "bimodal"]:
        np.testing.assert_allclose(back[col], X[col], rtol=1e-5, atol=1e-5)


def test_spans_tile_the_matrix_and_have_roles():
    t = TabularTransformer(max_categories=10).fit(_odd_table())
    pos = 0
    for s in t.spans_:
        assert isinstance(s, Span) and s.start == pos and s.end > s.start
        pos = s.end
    assert pos == t.output_dim_
    roles = {(s.column, s.role) for s in t.spans_}
    assert ("f", "missing") in roles and ("bimodal", "missing") not in roles
    assert ("b", "category") in roles and ("bimodal", "mode") in roles
    many = next(s for s in t.spans_ if s.column == "many")
    assert many.width == 10  # 9 most frequent + other


def test_other_bucket_and_range_clipping_and_rounding_on_model_output():
    X = _odd_table()
    t = TabularTransformer(max_categories=4).fit(X)
    Z = np.random.default_rng(0).normal(size=(500, t.output_dim_)).astype(np.float32) * 3
    out = t.inverse_transform(Z, random_state=1)
    assert set(out["many"]) <= set(X["many"])  # `other` becomes one of the pooled values
    assert out["bimodal"].between(X["bimodal"].min(), X["bimodal"].max()).all()
    assert (out["i"] == out["i"].round()).all() and out["i"].dtype == X["i"].dtype
    assert np.allclose(out["money"], out["money"].round(2))
    assert (out["day"].dt.normalize() == out["day"]).all()


def test_mixture_finds_modes_and_prunes():
    rng = np.random.default_rng(0)
    V = np.c_[
        np.r_[rng.normal(-5, 0.5, 2000), rng.normal(5, 0.5, 2000)],
        rng.choice([0.0, 10.0], 4000, p=[0.99, 0.01]),  # a mode with 1% of rows
    ]
    (w1, m1, _), (w2, m2, _) = fit_gmm(V, np.isfinite(V))
    assert len(m1) >= 2 and m1.min() < -4 and m1.max() > 4
    assert np.isclose(w1.sum(), 1) and (w1 > 0).all()
    assert 10.0 not in np.round(m2, 3)  # a mode under the 2% threshold is annihilated


def test_sample_rows_follows_probabilities():
    p = np.tile([0.1, 0.0, 0.9], (20000, 1))
    idx = sample_rows(p, np.random.default_rng(0))
    assert (idx != 1).all() and abs((idx == 2).mean() - 0.9) < 0.02


def test_subsample_fit_and_clear_errors():
    X = pd.DataFrame({"x": np.arange(5000.0), "c": ["a", "b"] * 2500})
    t = TabularTransformer(max_fit_rows=500).fit(X)
    assert t.transform(X).shape == (5000, t.output_dim_)
    with pytest.raises(InvalidDataError, match="'zz'"):
        TabularTransformer(discrete=["zz"]).fit(X)
    with pytest.raises(InvalidDataError, match="missing from the table"):
        t.transform(X[["x"]])
    with pytest.raises(InvalidDataError, match="non-numeric"):
        TabularTransformer(discrete=[]).fit(X)
