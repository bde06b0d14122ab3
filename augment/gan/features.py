"""The image GAN's own yardsticks, with no downloaded weights: a small CNN trained on the real
train images (its penultimate features give the "domain FID"), the Frechet distance and the
per-class diversity that `augment.gan.image_monitor` watches during training.

The same small CNN is the downstream image classifier (`augment.cnn` builds on `SmallCNN` and
`train_small_cnn`), but nothing here imports the downstream code: the GAN fit, and so the GAN
cache key (`augment.cache.code_version`), depends only on what it uses.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from scipy import linalg
from torch import nn

from augment.torchutil import make_generators, resolve_device, torch_rng_scope


class SmallCNN(nn.Module):
    """``(B, C, H, W) -> logits (B, K)``: three 3x3 conv blocks, 2x pools, global average.

    Images of side 16 or more are pooled once more after the first block (CPU cost).
    """

    def __init__(self, in_channels: int, n_classes: int, width: int = 32, side: int = 8) -> None:
        super().__init__()
        w = width
        early = [nn.MaxPool2d(2)] if side >= 16 else []  # 28x28 -> 14x14
        self.body = nn.Sequential(
            nn.Conv2d(in_channels, w, 3, padding=1),
            nn.BatchNorm2d(w),
            nn.ReLU(),
            *early,
            nn.Conv2d(w, 2 * w, 3, padding=1),
            nn.BatchNorm2d(2 * w),
            nn.ReLU(),
            nn.MaxPool2d(2),  # 8x8 -> 4x4, 14x14 -> 7x7
            nn.Conv2d(2 * w, 2 * w, 3, padding=1),
            nn.BatchNorm2d(2 * w),
            nn.ReLU(),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),  # (B, 2w): the features FID/PRDC use
        )
        self.head = nn.Linear(2 * w, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))


def to_tensor(X: Any, image_shape: tuple[int, int, int], device: torch.device) -> torch.Tensor:
    """Images given flattened or ``(N, C, H, W)`` in [0, 1] -> ``(N, C, H, W)`` in [-1, 1]."""
    X = np.asarray(X, dtype=np.float32).reshape(-1, *image_shape)
    return torch.from_numpy(X * 2.0 - 1.0).to(device)


def train_small_cnn(
    X: Any,
    codes: np.ndarray,
    n_classes: int,
    image_shape: tuple[int, int, int],
    *,
    steps: int = 300,
    batch_size: int = 64,
    lr: float = 2e-3,
    width: int = 16,
    weight_decay: float = 1e-4,
    random_state: int | None = None,
    device: torch.device | str = "cpu",
) -> SmallCNN:
    """A `SmallCNN` trained for ``steps`` AdamW steps on images ``X`` with class codes
    ``0..n_classes-1``; returned in eval mode on ``device``."""
    rng, tgen = make_generators(random_state)
    data = to_tensor(X, image_shape, device)
    labels = torch.from_numpy(codes.astype(np.int64)).to(device)
    with torch_rng_scope(rng):
        c, h, w = image_shape
        net = SmallCNN(c, n_classes, width, min(h, w)).to(device)
    # fused: one kernel per step instead of a Python loop over tensors (the default run's
    # 30 trainings spent a third of their time in the optimiser)
    opt = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=weight_decay, fused=True)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, lr, total_steps=steps)
    bs = min(batch_size, len(data))
    net.train()
    for _ in range(steps):
        idx = torch.randint(len(data), (bs,), generator=tgen).to(device)
        loss = F.cross_entropy(net(data[idx]), labels[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
    return net.eval()


@torch.no_grad()
def batched(
    fn: Callable[[torch.Tensor], torch.Tensor], X: Any, image_shape: tuple, device
) -> np.ndarray:
    """``fn`` over the images ``X`` in batches of 1024, as one float numpy array."""
    data = to_tensor(X, image_shape, device)
    out = [fn(data[i : i + 1024]).float().cpu().numpy() for i in range(0, len(data), 1024)]
    return np.concatenate(out) if out else np.zeros((0, 0), np.float32)


class DomainFeatures:
    """The domain feature network: a `SmallCNN` fitted on real images ``(N, C, H, W)``.

    ``transform(X)`` gives its penultimate features ``(N, 2 * width)`` (for FID, PRDC).
    """

    def __init__(self, X: np.ndarray, y: np.ndarray, seed: int = 0, steps: int = 300) -> None:
        classes, codes = np.unique(np.asarray(y), return_inverse=True)
        self.image_shape = tuple(X.shape[1:])
        self.device = resolve_device("auto")
        self.net = train_small_cnn(
            X,
            codes,
            len(classes),
            self.image_shape,
            steps=steps,
            random_state=seed,
            device=self.device,
        )

    def transform(self, X: Any) -> np.ndarray:
        return batched(self.net.body, X, self.image_shape, self.device)


def feature_extractor(
    X: np.ndarray, y: np.ndarray, seed: int = 0, steps: int = 300
) -> DomainFeatures:
    """The domain feature network fitted on real images ``(N, C, H, W)`` with labels ``y``."""
    return DomainFeatures(X, y, seed, steps)


def frechet_distance(real: np.ndarray, fake: np.ndarray) -> float:
    """Frechet distance between Gaussians fitted to two feature sets ``(N, D)``."""
    mu1, mu2 = real.mean(axis=0), fake.mean(axis=0)
    s1 = np.cov(real, rowvar=False) + 1e-6 * np.eye(real.shape[1])
    s2 = np.cov(fake, rowvar=False) + 1e-6 * np.eye(real.shape[1])
    covmean = linalg.sqrtm(s1 @ s2)
    if np.iscomplexobj(covmean):  # numerical noise of sqrtm on near-singular products
        covmean = covmean.real
    return float(((mu1 - mu2) ** 2).sum() + np.trace(s1 + s2 - 2.0 * covmean))


def pairwise_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Euclidean distances ``(len(a), len(b))`` between the rows of ``a`` and ``b``."""
    d = (a**2).sum(1)[:, None] + (b**2).sum(1)[None, :] - 2.0 * a @ b.T
    return np.sqrt(np.maximum(d, 0.0))


def diversity(real: np.ndarray, fake: np.ndarray) -> float:
    """Mean pairwise distance of ``fake`` over that of ``real`` (one class, flattened pixels).

    About 1 when samples vary as much as real ones; mode collapse drives it towards 0.
    """
    real, fake = real.reshape(len(real), -1), fake.reshape(len(fake), -1)
    if len(real) < 2 or len(fake) < 2:
        return float("nan")

    def spread(a: np.ndarray) -> float:
        d = pairwise_distances(a, a)
        return float(d.sum() / (len(a) * (len(a) - 1)))

    return spread(fake) / max(spread(real), 1e-12)
