"""Conditional image GAN: conditional-BN generator, projection discriminator with spectral norm,
hinge loss, translation DiffAugment and an EMA generator. Grayscale or RGB, 8x8 up to 64x64.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils import spectral_norm

from augment.exceptions import InvalidDataError
from augment.gan.base import ConditionalGAN, Training
from augment.gan.checkpoint import fingerprint
from augment.gan.image_monitor import ImageMonitor
from augment.gan.loop import EpochCallback, LoopConfig
from augment.gan_settings import ImageGANConfig

log = logging.getLogger(__name__)


def padded_side(h: int, w: int) -> int:
    """Images are padded to a power-of-two square (at least 8): 28x28 -> 32x32."""
    side = max(8, h, w)
    if side > 64:
        raise InvalidDataError(f"images of {h}x{w} are larger than the supported 64x64")
    return 2 ** math.ceil(math.log2(side))


class CondBatchNorm(nn.Module):
    """BatchNorm whose scale and shift are looked up per class."""

    def __init__(self, channels: int, n_classes: int) -> None:
        super().__init__()
        self.bn = nn.BatchNorm2d(channels, affine=False)
        self.gain = nn.Embedding(n_classes, channels)
        self.bias = nn.Embedding(n_classes, channels)
        nn.init.ones_(self.gain.weight)
        nn.init.zeros_(self.bias.weight)

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return self.bn(x) * self.gain(y)[:, :, None, None] + self.bias(y)[:, :, None, None]


class GBlock(nn.Module):
    def __init__(self, c_in: int, c_out: int, n_classes: int) -> None:
        super().__init__()
        self.bn = CondBatchNorm(c_in, n_classes)
        self.conv = nn.Conv2d(c_in, c_out, 3, padding=1)

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        x = F.interpolate(F.relu(self.bn(x, y)), scale_factor=2, mode="nearest")
        return self.conv(x)


class ImageGenerator(nn.Module):
    """(z, y) -> image in [-1, 1], ``(B, C, S, S)``."""

    def __init__(
        self, noise_dim: int, n_classes: int, out_channels: int, side: int, width: int
    ) -> None:
        super().__init__()
        n_up = int(math.log2(side // 4))
        chans = [max(width // 2**i, 16) for i in range(n_up + 1)]
        self.c0 = chans[0]
        self.fc = nn.Linear(noise_dim, chans[0] * 16)
        self.blocks = nn.ModuleList(
            GBlock(a, b, n_classes) for a, b in zip(chans, chans[1:], strict=False)
        )
        self.out_bn = CondBatchNorm(chans[-1], n_classes)
        self.out = nn.Conv2d(chans[-1], out_channels, 3, padding=1)

    def forward(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        h = self.fc(z).view(len(z), self.c0, 4, 4)  # (B, C0, 4, 4)
        for block in self.blocks:
            h = block(h, y)  # doubles H, W
        return torch.tanh(self.out(F.relu(self.out_bn(h, y))))


class ProjectionDiscriminator(nn.Module):
    """(x, y) -> score (B,): spectral-normalised convs, then ``linear(h) + <embed(y), h>``."""

    def __init__(self, n_classes: int, in_channels: int, side: int, width: int) -> None:
        super().__init__()
        n_down = int(math.log2(side // 4))
        chans = [max(width // 2**i, 16) for i in range(n_down, -1, -1)]
        layers: list[nn.Module] = [spectral_norm(nn.Conv2d(in_channels, chans[0], 3, padding=1))]
        for a, b in zip(chans, chans[1:], strict=False):
            layers += [nn.LeakyReLU(0.2), spectral_norm(nn.Conv2d(a, b, 4, stride=2, padding=1))]
        layers += [
            nn.LeakyReLU(0.2),
            spectral_norm(nn.Conv2d(chans[-1], chans[-1], 3, padding=1)),
            nn.LeakyReLU(0.2),
        ]
        self.features = nn.Sequential(*layers)
        self.linear = spectral_norm(nn.Linear(chans[-1], 1))
        self.embed = spectral_norm(nn.Embedding(n_classes, chans[-1]))

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        h = self.features(x).sum(dim=(2, 3))  # (B, C) global sum pooling
        return self.linear(h).squeeze(1) + (self.embed(y) * h).sum(dim=1)


def cutout(x: torch.Tensor, ratio: float, gen: torch.Generator) -> torch.Tensor:
    """DiffAugment cutout: erase one random square of side ``ratio * side`` per image (to 0)."""
    if ratio <= 0:
        return x
    b, _, h, w = x.shape
    size = max(1, int(h * ratio + 0.5))
    cy = torch.randint(0, h + (1 - size % 2), (b, 1, 1), generator=gen).to(x.device)
    cx = torch.randint(0, w + (1 - size % 2), (b, 1, 1), generator=gen).to(x.device)
    ys = torch.arange(h, device=x.device)[None, :, None]
    xs = torch.arange(w, device=x.device)[None, None, :]
    inside = ((ys - cy).abs() <= size // 2) & ((xs - cx).abs() <= size // 2)  # (B, H, W)
    return x * (~inside)[:, None].to(x.dtype)


def color(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """DiffAugment colour: random brightness, saturation (RGB only) and contrast per image."""
    b = x.shape[0]

    def r() -> torch.Tensor:
        return torch.rand(b, 1, 1, 1, generator=gen).to(x.device)

    x = x + (r() - 0.5)
    if x.shape[1] > 1:
        mean = x.mean(dim=1, keepdim=True)
        x = (x - mean) * (r() * 2) + mean
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    return (x - mean) * (r() + 0.5) + mean


def translate(x: torch.Tensor, ratio: float, gen: torch.Generator) -> torch.Tensor:
    """DiffAugment translation: shift each image by up to ``ratio`` of its side, zero-filled."""
    if ratio <= 0:
        return x
    b, _, h, w = x.shape
    max_shift = max(1, int(h * ratio))
    shifts = torch.randint(-max_shift, max_shift + 1, (b, 2), generator=gen).to(x.device)
    pad = F.pad(x, [max_shift] * 4, value=-1.0)
    rows = torch.arange(h, device=x.device)[None, :] + max_shift - shifts[:, :1]  # (B, H)
    cols = torch.arange(w, device=x.device)[None, :] + max_shift - shifts[:, 1:]  # (B, W)
    idx_b = torch.arange(b, device=x.device)[:, None, None]
    out = pad.permute(0, 2, 3, 1)[idx_b, rows[:, :, None], cols[:, None, :]]  # (B, H, W, C)
    return out.permute(0, 3, 1, 2)


class ImageCGAN(ConditionalGAN):
    """Conditional GAN for labelled images, scikit-learn style.

    Parameters
    ----------
    config : ImageGANConfig
    random_state : int or None
        Seeds every random draw of ``fit`` and ``sample``; the global RNG is never touched.
    progress : bool
        Show a progress bar during training.
    """

    kind = "image"
    global_rng_in_training = False  # every training draw comes from its own generator
    settings = ImageGANConfig

    def fit(
        self,
        X: np.ndarray,
        y,
        callback: EpochCallback | None = None,
        checkpoint: str | Path | None = None,
        checkpoint_every: int = 10,
        snapshot: Callable[[int, ImageCGAN], None] | None = None,
    ) -> ImageCGAN:
        """Fit on images ``X`` (N, C, H, W) in [0, 1] with labels ``y`` (see
        `ConditionalGAN.fit`).

        ``callback(epoch, row)`` also gets, every ``config.eval_every`` epochs, per-class
        diversity (and domain FID with ``patience``). ``snapshot(epoch, model)`` is called at
        those checks with the model sampling from the current EMA generator (e.g. to write a
        sample grid).
        """
        return super().fit(X, y, callback, checkpoint, checkpoint_every, snapshot=snapshot)

    def _check(self, X, y) -> np.ndarray:
        X = np.asarray(X, dtype=np.float32)
        if X.ndim != 4:
            raise InvalidDataError(f"images must be (N, C, H, W); got shape {X.shape}")
        if not np.isfinite(X).all() or X.min() < 0 or X.max() > 1:
            raise InvalidDataError("image values must be finite and in [0, 1]")
        return X

    def _prepare(self, X: np.ndarray, codes: np.ndarray, cfg: ImageGANConfig):
        _, c, h, w = X.shape
        self.image_shape_ = (c, h, w)
        self.side_ = padded_side(h, w)
        return X, codes

    def _training(
        self, X, codes, cfg: ImageGANConfig, tgen, checkpoint, checkpoint_every, snapshot=None
    ) -> Training:
        k = len(self.classes_)
        c = X.shape[1]
        G = ImageGenerator(cfg.noise_dim, k, c, self.side_, cfg.channels).to(self.device_)
        D = ProjectionDiscriminator(k, c, self.side_, cfg.channels).to(self.device_)
        data = torch.from_numpy(self._to_model_space(X)).to(self.device_)
        labels = torch.from_numpy(codes).to(self.device_)
        bs = min(cfg.batch_size, len(data))

        # class-balanced batches: minority classes get as many G/D updates as majority ones
        weights = torch.from_numpy(1.0 / np.bincount(codes)[codes])
        n_batches = max(1, len(data) // bs)

        def batches():
            idx = torch.multinomial(weights, n_batches * bs, replacement=True, generator=tgen)
            for j in idx.to(self.device_).view(n_batches, bs):
                yield data[j], labels[j]

        self.noise_dim_ = cfg.noise_dim  # `snapshot` samples during training

        def to_images(out: torch.Tensor) -> np.ndarray:
            return self._from_model_space(out.float().cpu().numpy())

        def snap(epoch: int) -> None:
            if snapshot is not None:
                snapshot(epoch, self)

        monitor = ImageMonitor(
            X,
            codes,
            to_images,
            cfg.noise_dim,
            cfg.eval_every,
            cfg.patience,
            cfg.collapse_threshold,
            int(self._rng.integers(2**31)),
            [str(c) for c in self.classes_],
            snapshot=snap,
            feature_steps=cfg.fid_steps,
            name=f"image GAN seed {self.random_state}",
        )

        def on_epoch_end(epoch: int, row: dict[str, float], G_ema: nn.Module) -> bool:
            self.generator_ = G_ema  # what `snapshot` samples from
            return monitor(epoch, row, G_ema)

        def diff_augment(x: torch.Tensor) -> torch.Tensor:
            if cfg.color:
                x = color(x, tgen)
            return cutout(translate(x, cfg.translate, tgen), cfg.cutout, tgen)

        loop = LoopConfig(
            epochs=cfg.epochs,
            noise_dim=cfg.noise_dim,
            lr_g=cfg.lr_g,
            lr_d=cfg.lr_d,
            loss="hinge",
            # speed (the default run's two fits: 130 s -> ...): fused Adam kernels, no gradient
            # for D's weights in G's step, G's step reuses the D step's fake batch (one G
            # forward per step, not two), and D scores real and fake in one pass; the light
            # Adam (same kernel, same numbers) spares each fit process torch.optim's ~2 s import
            fused_adam=True,
            light_adam=True,
            freeze_d_for_g=True,
            reuse_fake=True,
            joint_d_pass=True,
            ema_decay=cfg.ema_decay,
            desc="image cGAN",
            checkpoint_path=None if checkpoint is None else str(checkpoint),
            checkpoint_every=checkpoint_every,
            checkpoint_key=fingerprint(
                {"kind": self.kind, **asdict(cfg)}, self.random_state, X, codes
            )
            if checkpoint is not None
            else "",
        )

        def finish() -> None:
            if monitor.best_state is not None:  # early stopping: keep the best EMA weights
                self.generator_.load_state_dict(monitor.best_state)
                self.best_epoch_ = monitor.best_epoch

        return Training(G, D, batches, loop, diff_augment, on_epoch_end, finish)

    def _meta(self) -> dict:
        return {"image_shape": list(self.image_shape_)}

    def _rebuild(self, meta: dict) -> nn.Module:
        cfg = self.settings_
        c, h, w = meta["image_shape"]
        self.image_shape_ = (c, h, w)
        self.side_ = padded_side(h, w)
        return ImageGenerator(cfg.noise_dim, len(self.classes_), c, self.side_, cfg.channels)

    def _from_model_space(self, x: np.ndarray) -> np.ndarray:
        """Generator output ``(B, C, S, S)`` in [-1, 1] -> images cropped back, in [0, 1]."""
        c, h, w = self.image_shape_
        top, left = (self.side_ - h) // 2, (self.side_ - w) // 2
        return np.clip((x[:, :, top : top + h, left : left + w] + 1.0) / 2.0, 0.0, 1.0)

    def _to_model_space(self, X: np.ndarray) -> np.ndarray:
        c, h, w = X.shape[1:]
        s = self.side_
        out = np.full((len(X), c, s, s), -1.0, dtype=np.float32)  # pad with "black"
        top, left = (s - h) // 2, (s - w) // 2
        out[:, :, top : top + h, left : left + w] = X * 2.0 - 1.0
        return out

    def _sample(self, n: int, code: int, gen: torch.Generator) -> np.ndarray:
        """``n`` images of class ``code``, float32 ``(n, C, H, W)`` in [0, 1]."""
        c, h, w = self.image_shape_
        out = []
        for i in range(0, n, 512):
            m = min(512, n - i)
            z = torch.randn(m, self.noise_dim_, generator=gen).to(self.device_)
            labels = torch.full((m,), int(code), dtype=torch.long, device=self.device_)
            out.append(self._from_model_space(self.generator_(z, labels).float().cpu().numpy()))
        if not out:
            return np.zeros((0, c, h, w), dtype=np.float32)
        return np.clip(np.concatenate(out), 0.0, 1.0).astype(np.float32)
