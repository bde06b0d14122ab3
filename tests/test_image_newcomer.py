"""What a newcomer to the image side hit (issue 29): each a test of the library as the README
and docs/reference.md show it."""

from __future__ import annotations

import sys

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


@pytest.mark.usefixtures("one_thread")
def test_oversampler_takes_load_datasets_channels_first_images(digits_small):
    """`load_dataset` gives images (N, C, H, W); the over-sampler takes them as they are and
    returns the same layout, with the same GAN as for the (N, H, W) view of the same images."""
    from augment import ImageGANOverSampler, InvalidDataError

    X, y = digits_small  # (40, 1, 8, 8) float32 in [0, 1]
    X_res, y_res = ImageGANOverSampler(epochs=1, random_state=0).fit_resample(X, y)
    assert X_res.shape[1:] == (1, 8, 8) and X_res.dtype == np.float32
    assert len(X_res) == len(y_res) == 4 * np.bincount(y).max()
    np.testing.assert_array_equal(X_res[: len(X)], X)
    flat, _ = ImageGANOverSampler(epochs=1, random_state=0).fit_resample(X[:, 0], y)
    np.testing.assert_array_equal(flat, X_res[:, 0])  # the two layouts, one result
    rgb = np.zeros((4, 3, 8, 8), np.uint8)  # channels first, 3 channels, balanced: no new ones
    out, _ = ImageGANOverSampler(epochs=1).fit_resample(rgb, np.array([0, 0, 1, 1]))
    assert out.shape == (4, 3, 8, 8) and out.dtype == np.uint8
    with pytest.raises(InvalidDataError, match="channels first or last"):
        ImageGANOverSampler(epochs=1).fit_resample(np.zeros((4, 3, 8, 3)), np.array([0, 0, 1, 1]))


@pytest.mark.usefixtures("one_thread")
def test_generate_keeps_integer_labels_integers(tmp_path, mlflow_tmp, wine_splits, capsys):
    """A table whose labels were integers: `augment generate` writes them as int64, as the
    over-sampler returns them (it wrote the class names, text); other labels stay text, and
    so do those of a model logged before the label dtype was recorded."""
    import pandas as pd

    from augment.cli import main
    from augment.gan import TabularCGAN, TabularGANConfig, save_model
    from augment.tracking.config import TrackingConfig
    from augment.tracking.log import Tracker

    train = wine_splits.train
    gan = TabularCGAN(TabularGANConfig(epochs=1), random_state=0, progress=False)
    path = save_model(gan.fit(train.X, train.y), tmp_path / "g.pt")
    tracker = Tracker(TrackingConfig(tracking_uri=mlflow_tmp))
    run_id = tracker.start_parent("r", {}, {})
    ints = tracker.log_generator(run_id, path, ["0", "1", "2"], "target")
    names = tracker.log_generator(run_id, path, ["0", "one", "2"], "target")
    tracker.finish(run_id)

    assert main(["generate", ints, "--n", "2", "--out", "ints.parquet"]) == 0
    out = pd.read_parquet("ints.parquet")
    assert out["target"].dtype == np.int64 and out["target"].tolist() == [0, 0, 1, 1, 2, 2]
    assert main(["generate", names, "--n", "2", "--out", "names.parquet"]) == 0
    assert pd.read_parquet("names.parquet")["target"].tolist() == ["0", "0", "one", "one", "2", "2"]
    assert "wrote 6 synthetic sample(s)" in capsys.readouterr().out
    from augment.cli.generate import labels_as_trained

    old = pd.Series(["0", "1"])  # no label_dtype recorded: the names, as before
    assert labels_as_trained(old, {}).tolist() == ["0", "1"]


def test_top_level_help_is_one_user_facing_paragraph(capsys):
    """`augment --help` says what the tool does for its user, in one paragraph, and none of
    the developer notes of the CLI's modules (exit codes, error boundary, module layout)."""
    import augment.cli
    from augment.cli import main

    with pytest.raises(SystemExit) as done:
        main(["--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    paragraphs = out.split("\n\n")
    assert paragraphs[0].startswith("usage: augment")
    about = " ".join(paragraphs[1].split())
    assert about.startswith("Conditional-GAN data augmentation") and about.endswith(".")
    assert "GAN" in about and "synthetic" in about and "classifiers" in about
    for note in (augment.cli.__doc__, sys.modules["augment.cli.main"].__doc__):
        first = " ".join(note.split())[:40]
        assert first not in " ".join(out.split())
    assert "Exit codes" not in out and "boundary" not in out
