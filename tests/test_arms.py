import numpy as np
import pandas as pd

from augment import TabularCGAN, load_dataset
from augment.arms import run_arm, training_set
from augment.balance import balance_plan
from augment.data import dataset_from_frame, make_splits
from augment.gan import TabularGANConfig


def test_smote_and_gan_reach_the_plan(wine_splits):
    s = wine_splits
    plan = balance_plan(s.train.y, "auto")
    target = np.bincount(s.train.y).max()
    X, y = training_set("smote", s, plan, 0)
    assert (np.bincount(y) == target).all()
    gan = TabularCGAN(TabularGANConfig(epochs=1, hidden=16), random_state=0, progress=False)
    gan.fit(s.train.X, s.train.y)
    X, y = training_set("gan", s, plan, 0, gan)
    assert (np.bincount(y) == target).all()
    assert list(X.columns) == list(s.train.X.columns)
    # the real rows come first, untouched
    pd.testing.assert_frame_equal(X.iloc[: len(s.train)], s.train.X)


def test_smotenc_on_mixed_types(mixed_csv):
    data = load_dataset(mixed_csv, label="outcome")
    s = make_splits(data, 0.3, 0, [], 0.1)
    plan = balance_plan(s.train.y)
    X, y = training_set("smote", s, plan, 0)
    assert set(X["city"]) <= {"Lyon", "Paris", "Nice"}
    assert X.dtypes.to_dict() == data.X.dtypes.to_dict()
    assert np.bincount(y)[0] == np.bincount(y)[1]


def test_run_arm_metrics_per_seed(wine_splits):
    s = wine_splits
    res = run_arm("baseline", s, balance_plan(s.train.y), [0, 1], "logistic_regression")
    assert len(res.per_seed) == 2
    assert res.confusion.sum() == 2 * len(s.test)


def test_string_only_table_uses_smoten():
    df = pd.DataFrame({"a": list("xyzxyzxyzxyz") * 2, "y": ["p"] * 18 + ["q"] * 6})
    data = dataset_from_frame(df, "y", "t")
    s = make_splits(data, 0.25, 0, [], 0.1)
    X, y = training_set("smote", s, balance_plan(s.train.y), 0)
    assert np.bincount(y)[0] == np.bincount(y)[1]
