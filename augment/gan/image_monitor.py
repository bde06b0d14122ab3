"""Watching an image GAN train: per-class diversity (mode collapse), domain FID for early
stopping with the best EMA weights kept, and periodic snapshots (sample grids).

`ImageMonitor` is the loop's ``on_epoch_end`` hook: it adds its metrics to the epoch's row, so
whatever logs the rows (the flow logs them to MLflow) sees them.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable

import numpy as np
import torch
from torch import nn

log = logging.getLogger(__name__)


class ImageMonitor:
    """Every ``every`` epochs: diversity per class, optionally domain FID + early stopping.

    Parameters
    ----------
    real : (N, C, H, W) float array in [0, 1], the real train images
    codes : (N,) class codes 0..K-1
    to_images : maps a generator output batch (model space) to [0, 1] images of ``real``'s shape
    noise_dim, every, patience, threshold : see `ImageGANConfig`
    seed : seeds the fixed evaluation noise (the same z at every check)
    class_names : for warnings
    snapshot : ``fn(epoch)`` called at every check (e.g. to write a sample grid)
    feature_steps : training steps of the domain-feature CNN (FID)
    """

    def __init__(
        self,
        real: np.ndarray,
        codes: np.ndarray,
        to_images: Callable[[torch.Tensor], np.ndarray],
        noise_dim: int,
        every: int,
        patience: int | None,
        threshold: float,
        seed: int,
        class_names: list[str],
        snapshot: Callable[[int], None] | None = None,
        per_class: int = 64,
        feature_steps: int = 300,
        name: str = "image GAN",
    ) -> None:
        self.real, self.codes, self.to_images = real, codes, to_images
        self.every, self.patience, self.threshold = every, patience, threshold
        self.class_names, self.snapshot, self.name = class_names, snapshot, name
        k = int(codes.max()) + 1
        gen = torch.Generator().manual_seed(seed)
        self.z = torch.randn(k * per_class, noise_dim, generator=gen)
        self.y = torch.arange(k).repeat_interleave(per_class)
        self.best_fid = float("inf")
        self.best_state: dict | None = None
        self.best_epoch = 0
        self.bad_checks = 0
        self.features = None
        if patience is not None:
            from augment.gan.features import feature_extractor  # the small CNN on real data

            self.features = feature_extractor(real, codes, seed, steps=feature_steps)
            self.real_feats = self.features.transform(real)

    @torch.no_grad()
    def _samples(self, G: nn.Module) -> np.ndarray:
        dev = next(G.parameters()).device
        out = [
            self.to_images(G(self.z[i : i + 512].to(dev), self.y[i : i + 512].to(dev)))
            for i in range(0, len(self.z), 512)
        ]
        return np.concatenate(out)

    def __call__(self, epoch: int, row: dict[str, float], G: nn.Module) -> bool:
        if self.every <= 0 or epoch % self.every:
            return False
        from augment.gan.features import diversity, frechet_distance

        fake, y = self._samples(G), self.y.numpy()
        divs = []
        for c in range(len(self.class_names)):
            d = diversity(self.real[self.codes == c], fake[y == c])
            row[f"diversity_c{c}"] = d
            divs.append(d)
        row["diversity_min"] = float(np.nanmin(divs))
        low = [(self.class_names[c], d) for c, d in enumerate(divs) if d < self.threshold]
        for name, d in low:
            log.warning(
                "augment: %s, epoch %d: class %r diversity %.2f is below %.2f of the real"
                " spread: possible mode collapse (it may recover; the final diversity is in"
                " the summary)",
                self.name,
                epoch,
                name,
                d,
                self.threshold,
            )
        if self.snapshot is not None:
            self.snapshot(epoch)
        if self.features is None:
            return False
        fid = frechet_distance(self.real_feats, self.features.transform(fake))
        row["fid_domain"] = fid
        if fid < self.best_fid:
            self.best_fid, self.best_epoch, self.bad_checks = fid, epoch, 0
            self.best_state = copy.deepcopy(G.state_dict())
            return False
        self.bad_checks += 1
        if self.bad_checks >= self.patience:
            log.info(
                "early stop at epoch %d: best domain FID %.3f at epoch %d",
                epoch,
                self.best_fid,
                self.best_epoch,
            )
            return True
        return False
