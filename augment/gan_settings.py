"""The knobs of the two conditional GANs and their defaults: the one place they are declared.

Plain dataclasses, free of torch: the run config (`augment.config.GANConfig`) builds its
``gan.tabular`` / ``gan.image`` sections from them, and the models read them when they fit.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TabularGANConfig:
    epochs: int = 300
    # training budget in optimiser steps that grows with the table, instead of ``epochs``:
    # ceil(step_budget * sqrt(training rows)) steps, rounded up to whole epochs. Fixed epochs
    # cost steps linear in the rows (small tables: >= 8 steps per epoch, so 2400 steps at any
    # size up to 4k rows; 10k rows: 6000; 100k: 60000). None (default): ``epochs`` as given
    step_budget: float | None = None
    batch_size: int | None = None  # None: 500 (CTGAN's), smaller for small tables (>= 8 steps)
    noise_dim: int = 64
    # widths, measured on the 10k x 20 mixed table (benchmarks/tabular.py, 1 thread): a 256-wide
    # critic with dropout 0.25 took C2ST AUC at 100 epochs from 0.98 (128 wide, dropout 0.5)
    # to 0.91. A 256-wide generator reached 0.805 against 0.834 at 128, but cost 0.48 against
    # 0.39 s per epoch (ctgan: 1.38), and both scored 0.96 at 10 epochs
    hidden: int = 128  # generator: width of each of its two concatenating residual blocks
    critic_hidden: int = 256  # critic: width of its two hidden layers
    critic_dropout: float = 0.25  # dropout after each critic hidden layer (CTGAN: 0.5)
    lr_g: float = 2e-4
    lr_d: float = 2e-4
    ema_decay: float = 0.999
    tau: float = 0.2  # Gumbel-softmax temperature for discrete columns
    pac: int = 10  # PacGAN: the critic scores packs of this many rows (1 = off)
    # lazy gradient penalty: WGAN-GP on every gp_every-th critic step, weighted by gp_every
    gp_every: int = 4
    # torch CPU threads while fitting: these small MLPs gain little from more, and on a shared
    # machine extra threads spin and slow everything down (None: leave torch's setting)
    num_threads: int | None = 1
    device: str = "auto"
    # early stopping (see `augment.gan.tabular_monitor`): with ``patience`` set, ``val_fraction``
    # of each class's rows (at least 1 when it has 2) is held out and never trained on; every
    # ``eval_every`` epochs (0: never) and at the last epoch the EMA generator makes rows for the
    # held-out labels and ``val_distance`` (KS / total variation per class, rank correlations)
    # goes into the history row; after ``patience`` checks without a lower one training stops
    # and the best EMA weights are kept. The cost: fewer training rows, a check every
    # ``eval_every`` epochs. None (default): no held-out rows, no checks, all epochs.
    eval_every: int = 10
    patience: int | None = None
    val_fraction: float = 0.1
    # class fidelity: a small classifier fitted on the real encoded rows (then frozen) scores
    # every fake row; its cross-entropy against the row's class, times aux_weight, is added to
    # the generator loss, so rows made for class k look like class k (0: off)
    aux_weight: float = 0.0
    # the rows of each PacGAN pack share one class: the critic compares a set of rows of class
    # k with real sets of class k, a much stronger conditioning signal than mixed packs
    class_packs: bool = False


@dataclass(frozen=True)
class ImageGANConfig:
    epochs: int = 200
    batch_size: int = 32
    noise_dim: int = 64
    channels: int = 64  # width of the first generator block; halves per upsampling
    lr_g: float = 2e-4
    lr_d: float = 4e-4
    ema_decay: float = 0.999
    translate: float = 0.125  # DiffAugment translation, as a fraction of the image side
    cutout: float = 0.25  # DiffAugment cutout: side of the erased square, fraction of the side
    color: bool = False  # DiffAugment brightness/saturation/contrast jitter
    device: str = "auto"
    eval_every: int = 10  # epochs between diversity (and early-stopping) checks; 0: never
    patience: int | None = None  # checks without a better domain FID before stopping; None: off
    collapse_threshold: float = 0.3  # warn when a class's diversity ratio falls below this
    fid_steps: int = 300  # training steps of the domain-feature CNN used for early stopping
