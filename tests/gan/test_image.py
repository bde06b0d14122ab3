import numpy as np
import torch

from augment import ImageCGAN
from augment.gan import ImageGANConfig
from augment.gan.image import padded_side, translate


def test_one_epoch_rgb_28x28_on_cpu():
    rng = np.random.default_rng(0)
    X = rng.random((40, 3, 28, 28), dtype=np.float32)
    y = np.repeat([0, 1], 20)
    gan = ImageCGAN(
        ImageGANConfig(epochs=1, batch_size=16, channels=32, device="cpu"),
        random_state=0,
        progress=False,
    ).fit(X, y)
    out = gan.sample(5, 1)
    assert out.shape == (5, 3, 28, 28)
    assert out.min() >= 0 and out.max() <= 1
    assert gan.side_ == 32


def test_image_gan_is_deterministic_and_leaves_global_rng_alone():
    X = np.random.default_rng(1).random((32, 1, 8, 8), dtype=np.float32)
    y = np.repeat([0, 1], 16)
    cfg = ImageGANConfig(epochs=1, batch_size=16, channels=16, device="cpu")
    before = torch.random.get_rng_state()
    a = ImageCGAN(cfg, random_state=0, progress=False).fit(X, y).sample(4, 0, random_state=0)
    assert torch.equal(before, torch.random.get_rng_state())
    b = ImageCGAN(cfg, random_state=0, progress=False).fit(X, y).sample(4, 0, random_state=0)
    np.testing.assert_array_equal(a, b)


def test_padded_side_and_translate_shape():
    assert padded_side(8, 8) == 8 and padded_side(28, 28) == 32 and padded_side(33, 20) == 64
    x = torch.zeros(3, 1, 8, 8)
    g = torch.Generator().manual_seed(0)
    assert translate(x, 0.125, g).shape == x.shape


def test_monitor_logs_diversity_fid_snapshots_and_keeps_best_weights(caplog):
    from augment.gan.image import color, cutout

    X = np.random.default_rng(2).random((40, 1, 8, 8), dtype=np.float32)
    y = np.repeat([0, 1], 20)
    rows, snaps = [], []
    cfg = ImageGANConfig(
        epochs=3,
        batch_size=16,
        channels=16,
        device="cpu",
        eval_every=1,
        patience=1,
        collapse_threshold=2.0,
        fid_steps=5,
        color=True,
    )
    with caplog.at_level("WARNING"):
        gan = ImageCGAN(cfg, random_state=0, progress=False).fit(
            X, y, callback=lambda e, r: rows.append(r), snapshot=lambda e, m: snaps.append(e)
        )
    assert {"diversity_c0", "diversity_c1", "diversity_min", "fid_domain"} <= set(rows[0])
    assert snaps == [r["epoch"] for r in rows]
    assert "possible mode collapse" in caplog.text  # threshold 2.0: always "collapsed"
    assert "augment: image GAN seed 0, epoch 1: class " in caplog.text  # which GAN, which epoch
    fids = [r["fid_domain"] for r in rows]
    assert gan.best_epoch_ == rows[int(np.argmin(fids))]["epoch"]
    # patience 1: training stops at the first check whose FID is not below the best so far
    stop = next((i + 1 for i in range(1, len(fids)) if fids[i] >= min(fids[:i])), cfg.epochs)
    assert len(rows) == stop
    g = torch.Generator().manual_seed(0)
    x = torch.zeros(4, 3, 8, 8)
    assert cutout(x + 1, 0.25, g).min() == 0 and color(x, g).shape == x.shape
