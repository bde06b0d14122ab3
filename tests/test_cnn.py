import numpy as np
import pytest
import torch

from augment import load_dataset
from augment.classify import make_classifier, resolve_classifier
from augment.cnn import CNNClassifier


def _blobs(n=60, side=8):
    """Two classes told apart by which half of the image is bright."""
    rng = np.random.default_rng(0)
    X = rng.random((n, 1, side, side), dtype=np.float32) * 0.2
    y = np.arange(n) % 2
    X[y == 0, :, : side // 2] += 0.7
    X[y == 1, :, side // 2 :] += 0.7
    return np.clip(X, 0, 1), np.where(y == 0, "a", "b")


def test_cnn_learns_flattened_or_4d_and_is_seeded():
    X, y = _blobs()
    clf = CNNClassifier((1, 8, 8), steps=60, random_state=0, device="cpu").fit(X.reshape(60, -1), y)
    assert (clf.predict(X) == y).mean() > 0.9
    assert set(clf.classes_) == {"a", "b"}
    assert clf.predict_proba(X).shape == (60, 2)
    assert clf.transform(X).shape == (60, 2 * clf.width)
    again = CNNClassifier((1, 8, 8), steps=60, random_state=0, device="cpu").fit(X, y)
    np.testing.assert_allclose(clf.predict_proba(X), again.predict_proba(X), atol=1e-6)


def test_cnn_on_28x28_rgb():
    rng = np.random.default_rng(1)
    X = rng.random((20, 3, 28, 28), dtype=np.float32)
    clf = CNNClassifier((3, 28, 28), steps=2, random_state=0, device="cpu").fit(
        X, np.arange(20) % 3
    )
    assert clf.predict(X).shape == (20,)


def test_auto_classifier_is_cnn_for_images_only():
    digits = load_dataset("builtin:digits")
    assert resolve_classifier("auto", "image") == "cnn"
    assert resolve_classifier("auto", "table") == "random_forest"
    assert isinstance(make_classifier("auto", digits, 0), CNNClassifier)
    with pytest.raises(ValueError, match="image"):
        make_classifier("cnn", load_dataset("builtin:wine"), 0)


def test_the_smallest_side_the_cnn_takes_is_the_one_preflight_checks():
    """`augment.classify.CNN_MIN_SIDE` is the network's: it runs there and fails one below."""
    from augment.classify import CNN_MIN_SIDE
    from augment.gan.features import SmallCNN

    for h, w in ((CNN_MIN_SIDE, CNN_MIN_SIDE), (CNN_MIN_SIDE, 9)):
        assert SmallCNN(1, 3, width=4, side=min(h, w))(torch.zeros(2, 1, h, w)).shape == (2, 3)
    with pytest.raises(RuntimeError):
        SmallCNN(1, 3, width=4, side=CNN_MIN_SIDE - 1)(torch.zeros(2, 1, CNN_MIN_SIDE - 1, 9))
