"""A small torch CNN for images, scikit-learn style: the default downstream classifier for
image sets. The network and its training are `augment.gan.features`' (the same CNN gives the
image GAN's domain features), so the GAN never imports this downstream module.

Its training budget is a fixed number of optimiser steps (not epochs), so every arm gets the
same amount of training however many synthetic rows it adds.
"""

from __future__ import annotations

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin

from augment.gan.features import batched, train_small_cnn
from augment.torchutil import resolve_device


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

    def fit(self, X, y) -> CNNClassifier:
        y = np.asarray(y)
        self.classes_, codes = np.unique(y, return_inverse=True)
        self.device_ = resolve_device(self.device)
        self.net_ = train_small_cnn(
            X,
            codes,
            len(self.classes_),
            self.image_shape,
            steps=self.steps,
            batch_size=self.batch_size,
            lr=self.lr,
            width=self.width,
            weight_decay=self.weight_decay,
            random_state=self.random_state,
            device=self.device_,
        )
        return self

    def _batched(self, X, fn) -> np.ndarray:
        return batched(fn, X, self.image_shape, self.device_)

    def predict_proba(self, X) -> np.ndarray:
        return self._batched(X, lambda x: torch.softmax(self.net_(x), dim=1))

    def predict(self, X) -> np.ndarray:
        return self.classes_[self.predict_proba(X).argmax(axis=1)]

    def transform(self, X) -> np.ndarray:
        """Penultimate-layer features ``(N, 2 * width)`` (for FID, precision/recall)."""
        return self._batched(X, self.net_.body)
