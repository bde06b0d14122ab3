"""Checkpoint fingerprints: a checkpoint is resumed only by the training it belongs to.

Every field of both GAN configs (iterated, so a field added later is covered) except ``epochs``
(raising it continues a training) and ``device`` (a CPU checkpoint resumes on GPU) changes the
fingerprint, as do the seed and the data; a fit with another learning rate does not resume.
"""

from __future__ import annotations

from dataclasses import asdict, fields, replace

import numpy as np
import pytest
from _values import another_value

from augment import load_dataset
from augment.gan import ImageCGAN, ImageGANConfig, TabularCGAN, TabularGANConfig
from augment.gan.checkpoint import fingerprint

NOT_IN_FINGERPRINT = {"epochs", "device"}
DATA = (np.arange(12, dtype=np.float32).reshape(4, 3), np.array([0, 1, 0, 1]))


def _key(cfg, seed=0, data=DATA) -> str:
    return fingerprint({"kind": "k", **asdict(cfg)}, seed, *data)


@pytest.mark.parametrize(
    ("config", "name"),
    [(c, f.name) for c in (TabularGANConfig(), ImageGANConfig()) for f in fields(c)],
    ids=lambda v: v if isinstance(v, str) else type(v).__name__,
)
def test_every_config_field_but_epochs_and_device_changes_the_fingerprint(config, name):
    field = {f.name: f for f in fields(config)}[name]
    other = replace(config, **{name: another_value(getattr(config, name), field.type)})
    assert (_key(other) == _key(config)) == (name in NOT_IN_FINGERPRINT)


def test_seed_data_and_labels_change_the_fingerprint():
    cfg = TabularGANConfig()
    X, y = DATA
    assert _key(cfg) == _key(cfg)
    assert _key(cfg, seed=1) != _key(cfg)
    assert _key(cfg, seed=None) != _key(cfg)
    assert _key(cfg, data=(X + 1, y)) != _key(cfg)
    assert _key(cfg, data=(X, y[::-1])) != _key(cfg)
    assert _key(cfg, data=(X.reshape(3, 4), y)) != _key(cfg)  # same bytes, other shape
    assert _key(cfg, data=(X.astype(np.float64), y)) != _key(cfg)


@pytest.mark.usefixtures("one_thread")
def test_tabular_checkpoint_of_another_learning_rate_is_not_resumed(tmp_path, caplog):
    data = load_dataset("builtin:wine")
    ckpt = tmp_path / "c.pt"
    cfg = TabularGANConfig(epochs=1, batch_size=64, hidden=16)
    TabularCGAN(cfg, random_state=0, progress=False).fit(data.X, data.y, checkpoint=ckpt)
    other = replace(cfg, epochs=2, lr_g=cfg.lr_g * 2)
    with caplog.at_level("INFO", logger="augment.gan.checkpoint"):
        TabularCGAN(other, random_state=0, progress=False).fit(data.X, data.y, checkpoint=ckpt)
    assert "checkpoint of another data/config/seed; starting afresh" in caplog.text
    assert "resumed from checkpoint" not in caplog.text


@pytest.mark.usefixtures("one_thread")
def test_image_checkpoint_of_another_learning_rate_is_not_resumed(tmp_path, caplog):
    X = np.random.default_rng(0).random((16, 1, 8, 8), dtype=np.float32)
    y = np.repeat([0, 1], 8)
    ckpt = tmp_path / "c.pt"
    cfg = ImageGANConfig(epochs=1, batch_size=8, channels=16, eval_every=0, device="cpu")
    ImageCGAN(cfg, random_state=0, progress=False).fit(X, y, checkpoint=ckpt)
    other = replace(cfg, epochs=2, lr_d=cfg.lr_d * 2)
    with caplog.at_level("INFO", logger="augment.gan.checkpoint"):
        ImageCGAN(other, random_state=0, progress=False).fit(X, y, checkpoint=ckpt)
    assert "checkpoint of another data/config/seed; starting afresh" in caplog.text
    with caplog.at_level("INFO", logger="augment.gan.checkpoint"):  # same config: resumes
        ImageCGAN(replace(other, epochs=3), random_state=0, progress=False).fit(
            X, y, checkpoint=ckpt
        )
    assert "at epoch 2 of 3" in caplog.text
