import numpy as np
import pandas as pd
import pytest

from augment import InvalidDataError, TabularCGAN, load_dataset
from augment.gan import TabularGANConfig
from augment.transform import TabularTransformer

CFG = TabularGANConfig(epochs=2, batch_size=32, hidden=32)


def test_transformer_roundtrip(mixed_csv):
    X = load_dataset(mixed_csv, label="outcome").X
    t = TabularTransformer().fit(X)
    back = t.inverse_transform(t.transform(X))
    pd.testing.assert_frame_equal(back[["city", "member"]], X[["city", "member"]])
    np.testing.assert_allclose(back["income"], X["income"], rtol=1e-4)
    assert (back["age"] == X["age"]).all() and back["age"].dtype == X["age"].dtype


def test_fit_sample_exact_class_and_dtypes(mixed_csv):
    data = load_dataset(mixed_csv, label="outcome")
    gan = TabularCGAN(CFG, discrete=data.discrete, random_state=0, progress=False)
    gan.fit(data.X, data.y)
    rows = gan.sample(37, 1)
    assert len(rows) == 37
    assert list(rows.columns) == list(data.X.columns)
    assert rows.dtypes.to_dict() == data.X.dtypes.to_dict()
    assert set(rows["city"]) <= {"Lyon", "Paris", "Nice"}
    assert rows["age"].between(data.X["age"].min(), data.X["age"].max()).all()
    assert len(gan.history.rows) == 2


def test_same_seed_same_samples():
    data = load_dataset("builtin:wine")
    a = (
        TabularCGAN(CFG, random_state=3, progress=False)
        .fit(data.X, data.y)
        .sample(20, 2, random_state=1)
    )
    b = (
        TabularCGAN(CFG, random_state=3, progress=False)
        .fit(data.X, data.y)
        .sample(20, 2, random_state=1)
    )
    c = (
        TabularCGAN(CFG, random_state=4, progress=False)
        .fit(data.X, data.y)
        .sample(20, 2, random_state=1)
    )
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)


def test_unknown_class_is_named():
    data = load_dataset("builtin:wine")
    gan = TabularCGAN(CFG, random_state=0, progress=False).fit(data.X, data.y)
    with pytest.raises(InvalidDataError, match=r"unknown class label\(s\) \['9'\]"):
        gan.sample(5, 9)
