"""`augment.gan.image_monitor.ImageMonitor` on its own, driven by a generator whose output we
set: a blend ``w * real + (1 - w) * 0.5``, so per-class diversity is exactly ``w`` and ``w = 1``
reproduces the real images (the lowest domain FID)."""

from __future__ import annotations

import logging

import numpy as np
import pytest
import torch
from torch import nn

from augment.gan.image_monitor import ImageMonitor

PER_CLASS = 16


class _BlendG(nn.Module):
    """``G(z, y)``: class y's real images blended towards flat gray by the weight ``w``."""

    def __init__(self, real: np.ndarray, codes: np.ndarray) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.tensor(1.0))
        self.real = [torch.as_tensor(real[codes == c]) for c in range(int(codes.max()) + 1)]

    def forward(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        out = torch.empty(len(y), *self.real[0].shape[1:])  # (B, C, H, W)
        for c, imgs in enumerate(self.real):
            idx = (y == c).nonzero().flatten()
            out[idx] = imgs[torch.arange(len(idx)) % len(imgs)]
        return self.w * out + (1 - self.w) * 0.5


def _data():
    rng = np.random.default_rng(0)
    real = rng.random((2 * PER_CLASS, 1, 6, 6), dtype=np.float32)  # (N, C, H, W)
    real[PER_CLASS:] = real[PER_CLASS:] * 0.5 + 0.5  # class 1 brighter: the CNN can tell
    return real, np.repeat([0, 1], PER_CLASS)


def _monitor(real, codes, patience=None, every=1, snapshot=None, seed=0):
    return ImageMonitor(
        real,
        codes,
        to_images=lambda t: t.detach().numpy(),
        noise_dim=4,
        every=every,
        patience=patience,
        threshold=0.5,
        seed=seed,
        class_names=["dark", "bright"],
        snapshot=snapshot,
        per_class=PER_CLASS,
        feature_steps=5,
    )


def _set(G: _BlendG, w: float) -> None:
    with torch.no_grad():
        G.w.fill_(w)


def test_diversity_per_class_its_minimum_and_a_collapse_warning_below_the_threshold(caplog):
    real, codes = _data()
    G, snaps = _BlendG(real, codes), []
    mon = _monitor(real, codes, snapshot=snaps.append)
    _set(G, 0.8)
    row = {}
    assert mon(3, row, G) is False
    assert row["diversity_c0"] == pytest.approx(0.8, rel=1e-4)
    assert row["diversity_c1"] == pytest.approx(0.8, rel=1e-4)
    assert "fid_domain" not in row  # no patience: no FID, no early stopping
    assert snaps == [3]
    _set(G, 0.2)
    row = {}
    with caplog.at_level(logging.WARNING, logger="augment.gan.image_monitor"):
        assert mon(4, row, G) is False
    assert row["diversity_min"] == pytest.approx(0.2, rel=1e-4)
    assert "class 'dark' diversity 0.20 is below 0.50" in caplog.text
    assert "class 'bright' diversity 0.20 is below 0.50" in caplog.text
    assert snaps == [3, 4]


def test_no_warning_at_or_above_the_threshold(caplog):
    real, codes = _data()
    G = _BlendG(real, codes)
    _set(G, 0.6)
    with caplog.at_level(logging.WARNING, logger="augment.gan.image_monitor"):
        _monitor(real, codes)(1, {}, G)
    assert "mode collapse" not in caplog.text


def test_checks_only_every_n_epochs_and_never_with_every_zero():
    real, codes = _data()
    G, snaps = _BlendG(real, codes), []
    mon = _monitor(real, codes, every=2, snapshot=snaps.append)
    rows = {e: {} for e in range(1, 6)}
    for e, row in rows.items():
        assert mon(e, row, G) is False
    assert snaps == [2, 4]
    assert [e for e, row in rows.items() if row] == [2, 4]
    off, row = _monitor(real, codes, every=0, snapshot=snaps.append), {}
    assert off(2, row, G) is False and row == {} and snaps == [2, 4]


def test_evaluation_noise_is_seeded_and_classes_are_laid_out_in_blocks():
    real, codes = _data()
    a, b, c = _monitor(real, codes), _monitor(real, codes), _monitor(real, codes, seed=1)
    assert a.z.shape == (2 * PER_CLASS, 4)
    assert torch.equal(a.z, b.z) and not torch.equal(a.z, c.z)
    assert a.y.tolist() == [0] * PER_CLASS + [1] * PER_CLASS


def test_early_stopping_keeps_the_best_weights_and_stops_after_patience_bad_checks():
    real, codes = _data()
    G = _BlendG(real, codes)
    mon = _monitor(real, codes, patience=2)
    fids = {}
    for epoch, w in [(1, 0.3), (2, 1.0), (3, 0.0), (4, 0.5)]:
        _set(G, w)
        row = {}
        stop = mon(epoch, row, G)
        fids[epoch] = row["fid_domain"]
        assert stop is (epoch == 4), epoch  # epochs 3 and 4 are the two checks without gain
    assert fids[2] < fids[1] and fids[3] > fids[2] and fids[4] > fids[2]
    assert fids[2] == pytest.approx(0.0, abs=1e-3)  # the real images themselves
    assert mon.best_epoch == 2 and mon.best_fid == fids[2] and mon.bad_checks == 2
    assert mon.best_state["w"].item() == 1.0  # a copy: later steps did not change it
    assert G.w.item() == 0.5


def test_a_new_best_resets_the_count_of_bad_checks():
    real, codes = _data()
    G = _BlendG(real, codes)
    mon = _monitor(real, codes, patience=2)
    for epoch, w in [(1, 0.3), (2, 0.0), (3, 1.0), (4, 0.0)]:
        _set(G, w)
        assert mon(epoch, {}, G) is False, epoch  # one bad check, a best, one bad check
    assert mon.best_epoch == 3 and mon.bad_checks == 1
