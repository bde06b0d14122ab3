"""Images in PyTorch / array pipelines: `ImageGANOverSampler` and `SyntheticImageDataset`."""

import numpy as np
import pytest
import torch
from torch.utils.data import ConcatDataset, DataLoader

from augment import ImageGANOverSampler, InvalidDataError, SyntheticImageDataset


def _images(n_bright=24, n_dark=6, side=8, seed=0):
    """Bright images (class 'b') and dark ones (class 'd'), uint8 (N, H, W)."""
    rng = np.random.default_rng(seed)
    bright = rng.integers(180, 256, size=(n_bright, side, side))
    dark = rng.integers(0, 60, size=(n_dark, side, side))
    X = np.concatenate([bright, dark]).astype(np.uint8)
    return X, np.array(["b"] * n_bright + ["d"] * n_dark)


def test_array_in_array_out_same_layout_dtype_and_balanced(one_thread):
    X, y = _images()
    s = ImageGANOverSampler(epochs=2, random_state=0)
    X_res, y_res = s.fit_resample(X, y)
    assert X_res.dtype == np.uint8 and X_res.shape == (48, 8, 8)
    np.testing.assert_array_equal(X_res[: len(X)], X)  # the real images first, untouched
    assert (y_res[len(X) :] == "d").all() and s.sampling_strategy_ == {"b": 0, "d": 18}
    # channels-last floats stay channels-last floats
    Xf = (X[..., None] / 255.0).astype(np.float32)
    Xf_res, _ = ImageGANOverSampler(epochs=1, random_state=0).fit_resample(Xf, y)
    assert Xf_res.dtype == np.float32 and Xf_res.shape == (48, 8, 8, 1)
    assert 0.0 <= Xf_res.min() and Xf_res.max() <= 1.0


@pytest.mark.parametrize(
    "bad, match",
    [
        (np.zeros((4, 8)), "must be \\(N, H, W\\)"),
        (np.full((4, 8, 8), 2.0), "in \\[0, 1\\]"),
        (np.zeros((4, 8, 8), dtype=np.int64), "uint8 or floats"),
    ],
)
def test_bad_arrays_are_named(bad, match):
    with pytest.raises(InvalidDataError, match=match):
        ImageGANOverSampler(epochs=1).fit_resample(bad, np.array([0, 0, 1, 1]))


def test_dataset_is_balanced_seeded_and_concatenates_with_real_data(one_thread):
    X, y = _images()
    s = ImageGANOverSampler(epochs=2, random_state=0)
    s.fit_resample(X, y)
    ds = SyntheticImageDataset(s.generator_, per_class=5, random_state=3)
    assert len(ds) == 10 and ds.classes == ["b", "d"]
    image, label = ds[7]
    assert image.shape == (1, 8, 8) and image.dtype == torch.float32 and label == 1
    again = SyntheticImageDataset(s.generator_, per_class=5, random_state=3)
    assert torch.equal(ds.images, again.images)  # same arguments, same images
    # as torchvision's datasets serve them: (float image tensor, int label)
    pixels = torch.from_numpy(X[:, None] / 255.0).float()
    real = [(pixels[i], int(y[i] == "d")) for i in range(len(X))]
    batch = next(iter(DataLoader(ConcatDataset([real, ds]), batch_size=64)))
    assert batch[0].shape == (40, 1, 8, 8)
    only = SyntheticImageDataset(s.generator_, counts={"d": 4}, transform=lambda t: t * 2)
    assert len(only) == 4 and set(only.labels.tolist()) == {1}
    with pytest.raises(InvalidDataError, match="unknown class"):
        SyntheticImageDataset(s.generator_, counts={"x": 1})
