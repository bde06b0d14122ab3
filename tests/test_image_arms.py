import numpy as np

from augment import load_dataset
from augment.arms import run_arm, training_set
from augment.balance import balance_plan
from augment.data import make_splits
from augment.gan import ImageCGAN, ImageGANConfig


def test_classical_and_gan_classical_arms_reach_the_plan():
    digits = load_dataset("builtin:digits")
    s = make_splits(digits.subset(np.arange(400)), 0.3, 0, ["8", "9"], 0.2)
    plan = balance_plan(s.train.y)
    target = np.bincount(s.train.y).max()
    X, y = training_set("classical", s, plan, 0)
    assert (np.bincount(y) == target).all() and X.shape[1] == 64
    np.testing.assert_array_equal(X[: len(s.train)], s.train.features_2d())  # real rows first
    gan = ImageGANConfig(epochs=1, channels=16, device="cpu")
    model = ImageCGAN(gan, random_state=0, progress=False).fit(s.train.X, s.train.y)
    X, y = training_set("gan+classical", s, plan, 0, model)
    assert (np.bincount(y) == target).all()
    res = run_arm("classical", s, plan, [0], "logistic_regression")
    assert 0.3 < res.per_seed[0]["balanced_accuracy"] <= 1.0
