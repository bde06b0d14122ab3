"""Class conditioning, behaviourally: rows or images asked for class k look like class k.

Each test trains briefly on data whose classes differ in one obvious way (a column's level, an
image's brightness, a category that only one class has) and checks that ``sample(n, k)`` and the
over-sampler's rows labelled k carry class k's signature, with a wide margin. Learning rates,
EMA decay and epochs are set here (not taken from the defaults) so that a few hundred steps
learn the signature whatever the defaults become.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from augment import ConditionalGANOverSampler
from augment.gan import ImageCGAN, ImageGANConfig, TabularCGAN, TabularGANConfig

pytestmark = pytest.mark.usefixtures("one_thread")

GAP = 5.0  # distance between the class levels of the signature column


def _nearest_level(values: np.ndarray, levels: np.ndarray) -> np.ndarray:
    return np.abs(values[:, None] - levels[None, :]).argmin(axis=1)


def test_tabular_sample_reproduces_each_class_level():
    # continuous columns only: the class one-hot is the generator's only class information
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1, 2], 60)
    X = pd.DataFrame({"x": rng.normal(0, 0.3, len(y)) + GAP * y, "z": rng.normal(0, 1, len(y))})
    cfg = TabularGANConfig(
        epochs=80, batch_size=20, pac=5, hidden=32, lr_g=2e-3, lr_d=2e-3, ema_decay=0.9
    )
    gan = TabularCGAN(cfg, random_state=0, progress=False).fit(X, y)
    levels = GAP * np.arange(3)
    for k in range(3):
        x = gan.sample(200, k, random_state=1)["x"].to_numpy()
        assert abs(x.mean() - levels[k]) < 0.3 * GAP, (k, x.mean())
        assert (_nearest_level(x, levels) == k).mean() >= 0.75, k


def test_image_sample_reproduces_each_class_brightness():
    rng = np.random.default_rng(0)
    levels = np.array([0.15, 0.5, 0.85])
    y = np.repeat([0, 1, 2], 48)
    X = levels[y][:, None, None, None] + rng.normal(0, 0.05, (len(y), 1, 8, 8))
    X = np.clip(X, 0, 1).astype(np.float32)
    cfg = ImageGANConfig(
        epochs=16,
        batch_size=16,
        channels=16,
        lr_g=1e-3,
        lr_d=1e-3,
        ema_decay=0.8,
        eval_every=0,
        device="cpu",
    )
    gan = ImageCGAN(cfg, random_state=0, progress=False).fit(X, y)
    for k in range(3):
        brightness = gan.sample(100, k, random_state=1).mean(axis=(1, 2, 3))
        assert abs(brightness.mean() - levels[k]) < 0.3 * 0.35, (k, brightness.mean())
        assert (_nearest_level(brightness, levels) == k).mean() >= 0.75, k


def test_oversampler_rows_labelled_k_look_like_k():
    # a category only class k has: the over-sampler's rows labelled k should mostly carry it
    rng = np.random.default_rng(0)
    y = np.repeat(["a", "b", "c"], [60, 20, 20])
    tags = {"a": "red", "b": "green", "c": "blue"}
    level = {"a": 0.0, "b": GAP, "c": 2 * GAP}
    X = pd.DataFrame(
        {
            "x": rng.normal(0, 0.3, len(y)) + np.array([level[c] for c in y]),
            "tag": [tags[c] for c in y],
        }
    )
    sampler = ConditionalGANOverSampler(epochs=40, batch_size=20, pac=5, random_state=0)
    X_res, y_res = sampler.fit_resample(X, y)
    synthetic, labels = X_res.iloc[len(X) :], y_res[len(X) :]
    for k in ("b", "c"):
        share = synthetic.loc[labels == k, "tag"].value_counts(normalize=True)
        assert (labels == k).sum() == 40
        assert share.index[0] == tags[k] and share.iloc[0] >= 0.45, (k, share.to_dict())
