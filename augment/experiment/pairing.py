"""The paired design: the run's K generators and which one each classifier seed uses.

A run fits K generators with GAN seeds ``gan.seed``, ``gan.seed + 1``, ...; classifier seed
``s`` of a GAN arm draws from generator ``s mod K``, so every arm is paired by classifier seed.
"""

from __future__ import annotations

from augment.config import GANConfig, RunConfig


def gan_seeds(cfg: RunConfig) -> list[int]:
    """The GAN seeds of the run's K generators: ``gan.seed``, ``gan.seed + 1``, ..."""
    return [cfg.gan.seed + i for i in range(cfg.n_generators)]


def generator_of(seed: int, n_generators: int) -> int:
    """Paired design: classifier seed ``seed`` of a GAN arm uses generator ``seed mod K``."""
    return seed % n_generators


def generator_config(cfg: GANConfig, gan_seed: int) -> GANConfig:
    """The config of the one generator with GAN seed ``gan_seed`` (fitted and keyed on)."""
    return cfg.model_copy(update={"seed": gan_seed, "n_generators": None})
