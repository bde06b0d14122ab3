"""The adversarial training loop shared by the tabular and image conditional GANs.

One D step and one G step, each written once. The models only have to follow two call
signatures: ``G(z, y) -> x`` and ``D(x, y) -> scores (B,)``.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from augment.gan.adam import Adam
from augment.gan.history import History

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
    checkpoint_path: str | None = None  # resumable checkpoint file (None: no checkpoints)
    checkpoint_every: int = 10  # epochs between checkpoints (the last epoch is always saved)
    checkpoint_key: str = ""  # fingerprint of data + config + seed; others' checkpoints ignored
    # extra generator loss term g_penalty(fake, y) (tabular: cross-entropy of the condition)
    g_penalty: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None
    # opt-in speed-ups (defaults keep the original behaviour; the tabular GAN turns them on):
    # one fake batch per step, shared by the D step (detached) and the G step
    reuse_fake: bool = False
    # lazy WGAN-GP: the penalty on every gp_every-th D step only, weighted by gp_every
    gp_every: int = 1
    fused_adam: bool = False  # torch's fused Adam kernels (one op per step, not per tensor)
    # `augment.gan.adam.Adam` (foreach ops, plain Python step) instead of torch.optim.Adam: the
    # same update without torch.optim's per-step wrapping and its torch._dynamo import (~2 s
    # once per process); takes precedence over fused_adam
    light_adam: bool = False
    # no D weight gradients in the G step (they were discarded anyway: same result, less work)
    freeze_d_for_g: bool = False
    # the D step scores real and fake rows in one forward pass of the concatenated batch (half
    # the calls; spectral norm's power iteration then runs once per D step instead of twice)
    joint_d_pass: bool = False


class EMA:
    """Exponential moving average of a module's parameters (buffers are copied)."""

    def __init__(self, model: nn.Module, decay: float) -> None:
        self.model = copy.deepcopy(model).eval()
        for p in self.model.parameters():
            p.requires_grad_(False)
        self.decay = decay
        self.steps = 0
        self._own = list(self.model.parameters())
        self._own_bufs = list(self.model.buffers())
        self._source: nn.Module | None = None  # the live model whose tensor lists are cached

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        self.steps += 1
        # warm-up: early averages should not be dominated by the random init
        decay = min(self.decay, (1 + self.steps) / (10 + self.steps))
        if self._source is not model:  # walking the module tree every step costs more than the lerp
            self._source = model
            self._live = list(model.parameters())
            self._live_bufs = list(model.buffers())
            assert len(self._own) == len(self._live) and len(self._own_bufs) == len(self._live_bufs)
        # one fused call over all tensors: the same elementwise lerp/copy as a per-tensor loop,
        # without its Python overhead (which two fits side by side contend for under the GIL)
        torch._foreach_lerp_(self._own, self._live, 1.0 - decay)
        if self._own_bufs:
            torch._foreach_copy_(self._own_bufs, self._live_bufs)


def _adam(model: nn.Module, lr: float, cfg: LoopConfig):
    """The Adam optimiser of ``model``'s parameters that ``cfg`` asks for."""
    if cfg.light_adam:
        return Adam(model.parameters(), lr=lr, betas=cfg.betas)
    fused = {"fused": True} if cfg.fused_adam else {}
    return torch.optim.Adam(model.parameters(), lr=lr, betas=cfg.betas, **fused)


def _clear_grads(opt: torch.optim.Optimizer | Adam) -> None:
    """``opt.zero_grad(set_to_none=True)`` without its profiler and hook wrapping (per step)."""
    for group in opt.param_groups:
        for p in group["params"]:
            p.grad = None


def _gradient_penalty(
    D: nn.Module, real: torch.Tensor, fake: torch.Tensor, y: torch.Tensor, gen: torch.Generator
) -> torch.Tensor:
    """WGAN-GP penalty on random interpolates between real and fake rows.

    A PacGAN critic (``D.pac`` > 1) scores packs of ``pac`` rows: one mixing weight and one
    gradient norm per pack.
    """
    pac = getattr(D, "pac", 1)
    shape = (real.shape[0] // pac,) + (1,) * (real.dim() - 1)
    alpha = torch.rand(shape, generator=gen, device="cpu").to(real.device)
    if pac > 1:
        alpha = alpha.repeat_interleave(pac, dim=0)
    mixed = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
    scores = D(mixed, y)
    (grad,) = torch.autograd.grad(scores.sum(), mixed, create_graph=True)
    return ((grad.reshape(len(grad) // pac, -1).norm(2, dim=1) - 1) ** 2).mean()


def _noise(n: int, dim: int, gen: torch.Generator, device: torch.device) -> torch.Tensor:
    return torch.randn(n, dim, generator=gen, device="cpu").to(device)


def d_step(
    D, G, opt_d, x, y, cfg: LoopConfig, gen, diff_augment, fake=None, gp: bool = True
) -> dict[str, float]:
    """One discriminator update on a real batch and a fake batch with the same labels.

    ``fake``: a fake batch to use (``cfg.reuse_fake``; it is detached here), else a fresh one.
    ``gp``: whether this step adds the WGAN-GP penalty (``cfg.gp_every`` skips some).
    """
    if fake is None:
        with torch.no_grad():
            fake = G(_noise(len(y), cfg.noise_dim, gen, x.device), y)
    else:
        fake = fake.detach()
    if cfg.joint_d_pass:
        d_real, d_fake = D(diff_augment(torch.cat([x, fake])), torch.cat([y, y])).chunk(2)
    else:
        d_real = D(diff_augment(x), y)
        d_fake = D(diff_augment(fake), y)
    if cfg.loss == "hinge":
        loss = F.relu(1.0 - d_real).mean() + F.relu(1.0 + d_fake).mean()
    else:
        loss = d_fake.mean() - d_real.mean()
        if gp:
            weight = cfg.gp_weight * cfg.gp_every
            loss = loss + weight * _gradient_penalty(D, x, fake, y, gen)
    _clear_grads(opt_d)
    loss.backward()
    opt_d.step()
    # one host transfer for the three numbers (one device sync on a GPU, not three)
    d_loss, real, fake_score = torch.stack([loss.detach(), d_real.mean(), d_fake.mean()]).tolist()
    return {"d_loss": d_loss, "d_real": real, "d_fake": fake_score}


def g_step(D, G, opt_g, y, cfg: LoopConfig, gen, diff_augment, fake=None) -> dict[str, float]:
    """One generator update: make D score fakes of the batch's labels as real.

    ``fake``: the step's fake batch, still attached to G's graph (``cfg.reuse_fake``).
    """
    if fake is None:
        fake = G(_noise(len(y), cfg.noise_dim, gen, y.device), y)
    loss = -D(diff_augment(fake), y).mean()
    if cfg.g_penalty is not None:
        loss = loss + cfg.g_penalty(fake, y)
    _clear_grads(opt_g)
    loss.backward()
    opt_g.step()
    return {"g_loss": loss.item()}


def _checkpointer(cfg: LoopConfig, **live) -> tuple[int, Callable[[int], None]]:
    """Resume from ``cfg.checkpoint_path`` if compatible; return (first epoch, save(epoch))."""
    import augment.gan.checkpoint as ckpt

    history: History = live.pop("history")
    first, rows = ckpt.restore_training_state(
        cfg.checkpoint_path, key=cfg.checkpoint_key, max_epochs=cfg.epochs, **live
    )
    history.rows[:] = rows

    def save(epoch: int) -> None:
        state = ckpt.training_state(
            key=cfg.checkpoint_key, epoch=epoch, history_rows=history.rows, **live
        )
        ckpt.save_checkpoint(cfg.checkpoint_path, state)

    return first, save


def train_adversarial(
    G: nn.Module,
    D: nn.Module,
    batches: Batches,
    cfg: LoopConfig,
    gen: torch.Generator,
    diff_augment: Callable[[torch.Tensor], torch.Tensor] = lambda x: x,
    callback: EpochCallback | None = None,
    progress: bool = True,
    np_rng: np.random.Generator | None = None,
    on_epoch_end: EpochEndHook | None = None,
) -> tuple[nn.Module, History]:
    """Train ``G`` against ``D``; return the EMA generator and the per-epoch history.

    ``batches()`` yields ``(x, y)`` tensors on the training device for one epoch.
    ``diff_augment`` is a differentiable augmentation applied to everything D sees (DiffAugment).
    With ``cfg.checkpoint_path`` set, training resumes from a compatible checkpoint there and
    writes one every ``cfg.checkpoint_every`` epochs (see `augment.gan.checkpoint`); ``np_rng``
    is a numpy generator whose state is checkpointed too.
    ``on_epoch_end`` sees the EMA generator after each epoch (quality checks, early stopping)
    before ``callback`` gets the row.
    """
    opt_g = _adam(G, cfg.lr_g, cfg)
    opt_d = _adam(D, cfg.lr_d, cfg)
    ema = EMA(G, cfg.ema_decay)
    history = History()
    first, save = 0, None
    if cfg.checkpoint_path:
        first, save = _checkpointer(
            cfg,
            G=G,
            D=D,
            ema=ema,
            opt_g=opt_g,
            opt_d=opt_d,
            gen=gen,
            np_rng=np_rng,
            history=history,
        )
        for row in history.rows if callback is not None else []:
            callback(int(row["epoch"]), row)  # the new run's curves start at epoch 1 too
    # parameters frozen during G steps (cfg.freeze_d_for_g)
    d_params = [p for p in D.parameters() if p.requires_grad] if cfg.freeze_d_for_g else []
    start = time.monotonic()
    # disable=None: no bar when stderr is not a terminal (logs, CI)
    bar = tqdm(
        range(first, cfg.epochs),
        desc=cfg.desc,
        disable=None if progress else True,
        leave=False,
        initial=first,
        total=cfg.epochs,
    )
    for epoch in bar:
        G.train()
        D.train()
        sums: dict[str, float] = {}
        n = n_g = 0  # D steps and G steps (one every n_critic) of this epoch
        g_keys: set[str] = set()
        for step, (x, y) in enumerate(batches()):
            g_turn = step % cfg.n_critic == 0
            fake = None
            if cfg.reuse_fake and g_turn:  # G's graph is kept for the G step below
                fake = G(_noise(len(y), cfg.noise_dim, gen, x.device), y)
            gp = step % cfg.gp_every == 0
            stats = d_step(D, G, opt_d, x, y, cfg, gen, diff_augment, fake, gp)
            if g_turn:
                for p in d_params:
                    p.requires_grad_(False)
                g_stats = g_step(D, G, opt_g, y, cfg, gen, diff_augment, fake)
                g_keys |= g_stats.keys()
                stats |= g_stats
                n_g += 1
                for p in d_params:
                    p.requires_grad_(True)
                ema.update(G)
            for k, v in stats.items():
                sums[k] = sums.get(k, 0.0) + v
            n += 1
        # each loss is averaged over the steps that made it (G's: every n_critic-th step)
        row = {k: v / max(n_g if k in g_keys else n, 1) for k, v in sums.items()}
        row["epoch"] = epoch + 1
        history.rows.append(row)
        stop = bool(on_epoch_end(epoch + 1, row, ema.model)) if on_epoch_end is not None else False
        bar.set_postfix(d=f"{row.get('d_loss', 0):.3f}", g=f"{row.get('g_loss', 0):.3f}")
        if callback is not None:
            callback(epoch + 1, row)
        if stop:
            break
        # timeouts cannot interrupt a thread, so the budget is enforced here
        out_of_time = cfg.max_seconds is not None and time.monotonic() - start > cfg.max_seconds
        done = epoch + 1 == cfg.epochs or out_of_time
        if save is not None and (done or (epoch + 1) % cfg.checkpoint_every == 0):
            save(epoch + 1)
        if out_of_time:
            break
    bar.close()
    return ema.model, history
