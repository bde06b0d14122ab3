"""A small torch CNN for images, scikit-learn style: the default downstream classifier for
image sets, and the domain feature extractor of `augment.imagemetrics` (no downloaded weights).

Its training budget is a fixed number of optimiser steps (not epochs), so every arm gets the
same amount of training however many synthetic rows it adds.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.base import BaseEstimator, ClassifierMixin
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


class CNNClassifier(ClassifierMixin, BaseEstimator):
    """Small CNN classifier on images given flattened or as ``(N, C, H, W)`` in [0, 1].

    Parameters
    ----------
    image_shape : (C, H, W)
        Shape to restore flattened rows to.
    steps : int
        Optimiser steps (the training budget; identical across arms).
    batch_size, lr, width, weight_decay :
        Adam training settings and the width of the first conv layer.
    random_state : int or None
    device : str
        ``"auto"``, ``"cpu"`` or ``"cuda"``.
    """

    def __init__(
        self,
        image_shape: tuple[int, int, int] = (1, 8, 8),
        steps: int = 300,
        batch_size: int = 64,
        lr: float = 2e-3,
        width: int = 16,
        weight_decay: float = 1e-4,
        random_state: int | None = None,
        device: str = "auto",
    ) -> None:
        self.image_shape = image_shape
        self.steps = steps
        self.batch_size = batch_size
        self.lr = lr
        self.width = width
        self.weight_decay = weight_decay
        self.random_state = random_state
        self.device = device

    def _tensor(self, X) -> torch.Tensor:
        X = np.asarray(X, dtype=np.float32).reshape(-1, *self.image_shape)
        return torch.from_numpy(X * 2.0 - 1.0).to(self.device_)

    def fit(self, X, y) -> CNNClassifier:
        y = np.asarray(y)
        self.classes_, codes = np.unique(y, return_inverse=True)
        self.device_ = resolve_device(self.device)
        rng, tgen = make_generators(self.random_state)
        data, labels = self._tensor(X), torch.from_numpy(codes.astype(np.int64)).to(self.device_)
        with torch_rng_scope(rng):
            c, h, w = self.image_shape
            net = SmallCNN(c, len(self.classes_), self.width, min(h, w)).to(self.device_)
        # fused: one kernel per step instead of a Python loop over tensors (the default run's
        # 30 trainings spent a third of their time in the optimiser)
        opt = torch.optim.AdamW(
            net.parameters(), lr=self.lr, weight_decay=self.weight_decay, fused=True
        )
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, self.lr, total_steps=self.steps)
        bs = min(self.batch_size, len(data))
        net.train()
        for _ in range(self.steps):
            idx = torch.randint(len(data), (bs,), generator=tgen).to(self.device_)
            loss = F.cross_entropy(net(data[idx]), labels[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
        self.net_ = net.eval()
        return self

    @torch.no_grad()
    def _batched(self, X, fn) -> np.ndarray:
        data = self._tensor(X)
        out = [fn(data[i : i + 1024]).float().cpu().numpy() for i in range(0, len(data), 1024)]
        return np.concatenate(out) if out else np.zeros((0, 0), np.float32)

    def predict_proba(self, X) -> np.ndarray:
        return self._batched(X, lambda x: torch.softmax(self.net_(x), dim=1))

    def predict(self, X) -> np.ndarray:
        return self.classes_[self.predict_proba(X).argmax(axis=1)]

    def transform(self, X) -> np.ndarray:
        """Penultimate-layer features ``(N, 2 * width)`` (for FID, precision/recall)."""
        return self._batched(X, self.net_.body)
