import numpy as np

from augment import load_dataset
from augment.data import make_splits


def test_split_is_stratified_and_disjoint():
    data = load_dataset("builtin:wine")
    s = make_splits(data, 0.3, 0, [], 0.1)
    assert s.oracle is None and s.reduced_classes == []
    assert len(s.train) + len(s.test) == len(data)
    train_share = np.bincount(s.train.y) / len(s.train)
    test_share = np.bincount(s.test.y) / len(s.test)
    assert np.abs(train_share - test_share).max() < 0.05


def test_induced_imbalance_keeps_oracle():
    data = load_dataset("builtin:digits")
    s = make_splits(data, 0.3, 0, None, 0.1)  # None: the digits demo reduces 5-9
    assert s.reduced_classes == ["5", "6", "7", "8", "9"]
    counts, oracle = s.train.class_counts(), s.oracle.class_counts()
    for c in s.reduced_classes:
        assert counts[c] == round(0.1 * oracle[c])
    assert counts["0"] == oracle["0"]
    # the test split is the same whether or not imbalance was induced
    plain = make_splits(data, 0.3, 0, [], 0.1)
    np.testing.assert_array_equal(plain.test.y, s.test.y)


def test_imbalance_keeps_two_rows_minimum():
    data = load_dataset("builtin:wine")
    s = make_splits(data, 0.3, 0, ["class_2"], 0.001)
    assert s.train.class_counts()["class_2"] == 2
