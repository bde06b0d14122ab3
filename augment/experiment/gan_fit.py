"""Fit the conditional GAN of a run's train split: the code a cached GAN is keyed on.

`augment.cache.code_version` hashes the source of every augment module this module imports,
directly or through others (lazy imports included), plus the data layer that makes the split.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from augment.config import GANConfig
from augment.data import LabeledDataset
from augment.gan import ImageCGAN, TabularCGAN
from augment.gan.loop import EpochCallback


def fit_generator(
    train: LabeledDataset,
    cfg: GANConfig,
    callback: EpochCallback | None = None,
    progress: bool = True,
    snapshot: Any = None,
) -> TabularCGAN | ImageCGAN:
    """Fit the conditional GAN that matches the data kind on the train split only.

    The model's settings are ``cfg.model_settings(kind)`` (common keys plus ``gan.tabular`` /
    ``gan.image``). With ``cfg.checkpoint_dir`` training is resumable: one checkpoint file
    per train split, kind and GAN seed (its fingerprint also checks the GAN config).
    ``snapshot(epoch, model)`` (images) is called at each quality check (sample grids).
    """
    settings = cfg.model_settings(train.kind)
    if train.kind == "image":
        model = ImageCGAN(settings, random_state=cfg.seed, progress=progress)
    else:
        model = TabularCGAN(
            settings, discrete=train.discrete, random_state=cfg.seed, progress=progress
        )
    checkpoint = None
    if cfg.checkpoint_dir:
        name = f"{model.kind}-cgan-{train.content_hash()[:16]}-seed{cfg.seed}.pt"
        checkpoint = Path(cfg.checkpoint_dir) / name
    extra = {"snapshot": snapshot} if train.kind == "image" else {}
    return model.fit(
        train.X,
        train.y,
        callback=callback,
        checkpoint=checkpoint,
        checkpoint_every=cfg.checkpoint_every,
        **extra,
    )
