"""The adversarial training loop shared by the tabular and image conditional GANs.

One D step and one G step, each written once. The models only have to follow two call
signatures: ``G(z, y) -> x`` and ``D(x, y) -> scores (B,)``.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

Loss = Literal["hinge", "wgan-gp"]
Batches = Callable[[], Iterator[tuple[torch.Tensor, torch.Tensor]]]
EpochCallback = Callable[[int, dict[str, float]], None]
# (epoch, history row, EMA generator) -> True to stop; may add metrics to the row in place
EpochEndHook = Callable[[int, dict[str, float], nn.Module], bool | None]


@dataclass
class LoopConfig:
    epochs: int  # passes over the data
    noise_dim: int  # size of z
    lr_g: float  # generator learning rate
    lr_d: float  # discriminator learning rate (TTUR: usually larger)
    betas: tuple[float, float] = (0.0, 0.9)  # Adam betas common to hinge and WGAN-GP GANs
    loss: Loss = "hinge"
    n_critic: int = 1  # D steps per G step
    gp_weight: float = 10.0  # WGAN-GP gradient penalty weight
    ema_decay: float = 0.999  # EMA of G weights, used for sampling
    max_seconds: float | None = None  # time budget, checked every epoch
    desc: str = "GAN"  # progress bar label


@dataclass
class History:
    """Per-epoch means of the losses and D outputs (what a loss-curve plot shows)."""

    rows: list[dict[str, float]] = field(default_factory=list)

    def column(self, key: str) -> list[float]:
        return [r[key] for r in self.rows]


class EMA:
    """Exponential moving average of a module's parameters (buffers are copied)."""

    def __init__(self, model: nn.Module, decay: float) -> None:
        self.model = copy.deepcopy(model).eval()
        for p in self.model.parameters():
            p.requires_grad_(False)
        self.decay = decay
        self.steps = 0

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        self.steps += 1
        # warm-up: early averages should not be dominated by the random init
        decay = min(self.decay, (1 + self.steps) / (10 + self.steps))
        for e, p in zip(self.model.parameters(), model.parameters(), strict=True):
            e.lerp_(p.detach(), 1.0 - decay)
        for e, b in zip(self.model.buffers(), model.buffers(), strict=True):
            e.copy_(b)


def _gradient_penalty(
    D: nn.Module, real: torch.Tensor, fake: torch.Tensor, y: torch.Tensor, gen: torch.Generator
) -> torch.Tensor:
    """WGAN-GP penalty on random interpolates between real and fake rows."""
    shape = (real.shape[0],) + (1,) * (real.dim() - 1)
    alpha = torch.rand(shape, generator=gen, device="cpu").to(real.device)
    mixed = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
    scores = D(mixed, y)
    (grad,) = torch.autograd.grad(scores.sum(), mixed, create_graph=True)
    return ((grad.flatten(1).norm(2, dim=1) - 1) ** 2).mean()


def _noise(n: int, dim: int, gen: torch.Generator, device: torch.device) -> torch.Tensor:
    return torch.randn(n, dim, generator=gen, device="cpu").to(device)


def d_step(D, G, opt_d, x, y, cfg: LoopConfig, gen, augment) -> dict[str, float]:
    """One discriminator update on a real batch and a fresh fake batch with the same labels."""
    with torch.no_grad():
        fake = G(_noise(len(y), cfg.noise_dim, gen, x.device), y)
    d_real = D(augment(x), y)
    d_fake = D(augment(fake), y)
    if cfg.loss == "hinge":
        loss = F.relu(1.0 - d_real).mean() + F.relu(1.0 + d_fake).mean()
    else:
        loss = d_fake.mean() - d_real.mean()
        loss = loss + cfg.gp_weight * _gradient_penalty(D, x, fake, y, gen)
    opt_d.zero_grad(set_to_none=True)
    loss.backward()
    opt_d.step()
    return {"d_loss": loss.item(), "d_real": d_real.mean().item(), "d_fake": d_fake.mean().item()}


def g_step(D, G, opt_g, y, cfg: LoopConfig, gen, augment) -> dict[str, float]:
    """One generator update: make D score fakes of the batch's labels as real."""
    fake = G(_noise(len(y), cfg.noise_dim, gen, y.device), y)
    loss = -D(augment(fake), y).mean()
    opt_g.zero_grad(set_to_none=True)
    loss.backward()
    opt_g.step()
    return {"g_loss": loss.item()}


def train_adversarial(
    G: nn.Module,
    D: nn.Module,
    batches: Batches,
    cfg: LoopConfig,
    gen: torch.Generator,
    augment: Callable[[torch.Tensor], torch.Tensor] = lambda x: x,
    callback: EpochCallback | None = None,
    progress: bool = True,
    on_epoch_end: EpochEndHook | None = None,
) -> tuple[nn.Module, History]:
    """Train ``G`` against ``D``; return the EMA generator and the per-epoch history.

    ``batches()`` yields ``(x, y)`` tensors on the training device for one epoch.
    ``augment`` is a differentiable augmentation applied to everything D sees (DiffAugment).
    ``on_epoch_end`` sees the EMA generator after each epoch (quality checks, early stopping)
    before ``callback`` gets the row.
    """
    opt_g = torch.optim.Adam(G.parameters(), lr=cfg.lr_g, betas=cfg.betas)
    opt_d = torch.optim.Adam(D.parameters(), lr=cfg.lr_d, betas=cfg.betas)
    ema = EMA(G, cfg.ema_decay)
    history = History()
    start = time.monotonic()
    # disable=None: no bar when stderr is not a terminal (logs, CI)
    bar = tqdm(range(cfg.epochs), desc=cfg.desc, disable=None if progress else True, leave=False)
    for epoch in bar:
        G.train()
        D.train()
        sums: dict[str, float] = {}
        n = 0
        for step, (x, y) in enumerate(batches()):
            stats = d_step(D, G, opt_d, x, y, cfg, gen, augment)
            if step % cfg.n_critic == 0:
                stats |= g_step(D, G, opt_g, y, cfg, gen, augment)
                ema.update(G)
            for k, v in stats.items():
                sums[k] = sums.get(k, 0.0) + v
            n += 1
        row = {k: v / max(n, 1) for k, v in sums.items()}
        row["epoch"] = epoch + 1
        history.rows.append(row)
        stop = bool(on_epoch_end(epoch + 1, row, ema.model)) if on_epoch_end is not None else False
        bar.set_postfix(d=f"{row.get('d_loss', 0):.3f}", g=f"{row.get('g_loss', 0):.3f}")
        if callback is not None:
            callback(epoch + 1, row)
        if stop:
            break
        # timeouts cannot interrupt a thread, so the budget is enforced here
        if cfg.max_seconds is not None and time.monotonic() - start > cfg.max_seconds:
            break
    bar.close()
    return ema.model, history
