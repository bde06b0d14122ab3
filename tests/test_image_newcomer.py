"""What a newcomer to the image side hit (issue 29): each a test of the library as the README
and docs/reference.md show it."""

from __future__ import annotations

import numpy as np
import pytest

from augment import load_dataset


@pytest.fixture
def digits_small():
    """40 of the built-in 8x8 digits, 4 classes (codes 0..3), as `load_dataset` gives them."""
    data = load_dataset("builtin:digits")
    keep = np.flatnonzero(data.y < 4)[:40]
    return data.X[keep], data.y[keep]


@pytest.mark.usefixtures("one_thread")
def test_synthetic_image_dataset_from_a_logged_generator(tmp_path, mlflow_tmp, digits_small):
    from augment.gan import ImageCGAN, ImageGANConfig, save_model
    from augment.image_dataset import SyntheticImageDataset
    from augment.tracking.config import TrackingConfig
    from augment.tracking.log import Tracker

    X, y = digits_small
    cfg = ImageGANConfig(epochs=1, batch_size=16, channels=16, device="cpu", eval_every=0)
    gan = ImageCGAN(cfg, random_state=0, progress=False).fit(X, y)
    path = save_model(gan, tmp_path / "g.pt")
    tracker = Tracker(TrackingConfig(tracking_uri=mlflow_tmp))
    run_id = tracker.start_parent("r", {}, {})
    names = ["zero", "one", "two", "three"]
    uri = tracker.log_generator(run_id, path, names, "class")
    tracker.finish(run_id)

    data = SyntheticImageDataset.from_uri(uri, per_class=3)
    assert data.classes == names and len(data) == 12
    image, label = data[4]
    assert tuple(image.shape) == (1, 8, 8) and label == 1
    assert 0.0 <= float(image.min()) and float(image.max()) <= 1.0
    again = SyntheticImageDataset.from_uri(uri, per_class=3)
    assert bool((again.images == data.images).all())  # seeded: the same dataset


def test_oversampler_runs_with_its_own_threads_and_restores_torch(monkeypatch, digits_small):
    """From Python, torch's default threads (one per core) crawl on a busy machine: the fit runs
    on ``n_threads`` (default 1) and the caller's setting comes back afterwards."""
    import torch

    from augment import ImageGANOverSampler
    from augment.gan import ImageCGAN

    seen = []
    fit = ImageCGAN.fit

    def spy(self, *args, **kwargs):
        seen.append(torch.get_num_threads())
        return fit(self, *args, **kwargs)

    monkeypatch.setattr(ImageCGAN, "fit", spy)
    X, y = digits_small
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        ImageGANOverSampler(epochs=1, random_state=0).fit_resample(X[:, 0], y)
        assert seen == [1] and torch.get_num_threads() == 2
        ImageGANOverSampler(epochs=1, random_state=0, n_threads=None).fit_resample(X[:, 0], y)
        assert seen == [1, 2] and torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)
    with pytest.raises(ValueError, match="n_threads must be"):
        ImageGANOverSampler(n_threads=0).fit_resample(X[:, 0], y)
