"""Conditional tabular GAN: the class label conditions G and D, so sampling a class is exact.

Residual MLP generator with per-span output activations (tanh for values, Gumbel-softmax for
one-hot spans, batched by width), PacGAN critic trained with WGAN-GP in the shared loop,
training-by-sampling over the other discrete columns, EMA generator for sampling.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn

from augment.exceptions import InvalidDataError
from augment.gan.adam import Adam
from augment.gan.base import ConditionalGAN, Training
from augment.gan.checkpoint import fingerprint
from augment.gan.loop import EpochCallback, LoopConfig
from augment.gan.tabular_monitor import TabularMonitor, monitor_split, row_generator
from augment.gan_settings import TabularGANConfig
from augment.torchutil import (
    seeded_torch_rng,
)
from augment.transform.conditions import ConditionSampler
from augment.transform.tabular import Span, TabularTransformer


class Residual(nn.Module):
    """``x -> [relu(bn(fc(x))), x]``: the input is passed on beside the new features (CTGAN's),
    so noise and condition reach the output layer directly."""

    def __init__(self, width_in: int, width: int) -> None:
        super().__init__()
        self.fc = nn.Linear(width_in, width)
        self.bn = nn.BatchNorm1d(width)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([F.relu(self.bn(self.fc(x))), x], dim=1)


def grouped_order(spans: list[Span]) -> tuple[list[int], list[tuple[int, int, int]]]:
    """Column order the networks work in: value columns first, then one-hot spans by width.

    Returns ``(order, groups)``: ``order[i]`` is the encoded column at network position ``i``;
    ``groups`` are ``(start, n_spans, width)`` blocks of equal-width one-hot spans.
    """
    order = [s.start for s in spans if s.kind == "tanh"]
    by_width: dict[int, list[Span]] = {}
    for s in spans:
        if s.kind == "softmax":
            by_width.setdefault(s.width, []).append(s)
    groups = []
    for width, group in sorted(by_width.items()):
        groups.append((len(order), len(group), width))
        order += [i for s in group for i in range(s.start, s.end)]
    return order, groups


class SpanActivation(nn.Module):
    """tanh on value columns, (Gumbel-)softmax on all one-hot spans in a few ops.

    Works in the `grouped_order` layout (value columns first). The one-hot logits are scattered
    into a ``(B, n_spans, max width)`` block padded with ``-inf``, so one Gumbel draw and one
    softmax cover every span whatever its width; CTGAN instead loops over columns.
    """

    def __init__(self, spans: list[Span], tau: float) -> None:
        super().__init__()
        self.tau = tau
        order, groups = grouped_order(spans)
        self.n_tanh = len(order) - sum(n * w for _, n, w in groups)
        self.n_spans = sum(n for _, n, _ in groups)
        self.k_max = max((w for _, _, w in groups), default=1)
        slot, span = [], 0
        for _, n, width in groups:  # slot of each one-hot column in the padded block
            for _ in range(n):
                slot += [span * self.k_max + i for i in range(width)]
                span += 1
        self.register_buffer("slot", torch.tensor(slot, dtype=torch.long), persistent=False)

    def forward(self, raw: torch.Tensor) -> torch.Tensor:
        values = torch.tanh(raw[:, : self.n_tanh])
        if not self.n_spans:
            return values
        logits = raw[:, self.n_tanh :]
        b = len(raw)
        if self.training:  # noiseless logits: `log_probs` for the condition loss, if asked
            self._logits = logits
        # Gumbel noise -log(-log u) (rand is ~4x cheaper than exponential_), when sampling too:
        # the decoder takes each span's argmax, which is then a draw from softmax(logits)
        # rather than always its most likely category
        u = torch.rand_like(logits).clamp_(min=1e-12)
        logits = (logits - torch.log(-torch.log(u))) / self.tau
        return torch.cat([values, self._softmax(logits, b)], dim=1)

    @property
    def log_probs(self) -> torch.Tensor:
        """Noiseless log-probabilities ``(B, one-hot columns)`` of the last training forward.

        Made on demand: tables without a category span (no condition loss) never pay for them.
        """
        return self._softmax(self._logits, len(self._logits), log=True)

    def _softmax(self, logits: torch.Tensor, b: int, log: bool = False) -> torch.Tensor:
        padded = logits.new_full((b, self.n_spans * self.k_max), float("-inf"))
        padded = padded.index_copy(1, self.slot, logits).view(b, self.n_spans, self.k_max)
        out = F.log_softmax(padded, dim=2) if log else F.softmax(padded, dim=2)
        return out.view(b, -1).index_select(1, self.slot)


class TabularGenerator(nn.Module):
    """(z, cond) -> encoded row ``(B, D)``; ``cond`` = one-hot class + conditional vector."""

    def __init__(
        self, noise_dim: int, cond_dim: int, hidden: int, spans: list[Span], tau: float
    ) -> None:
        super().__init__()
        d = noise_dim + cond_dim
        self.body = nn.Sequential(Residual(d, hidden), Residual(d + hidden, hidden))
        self.out = nn.Linear(d + 2 * hidden, spans[-1].end)
        self.act = SpanActivation(spans, tau)

    def forward(self, z: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        h = self.body(torch.cat([z, cond], dim=1))  # (B, Z + C + 2H)
        return self.act(self.out(h))


class TabularCritic(nn.Module):
    """PacGAN critic: ``(x, cond)`` rows -> one score per pack of ``pac`` rows ``(B / pac,)``."""

    def __init__(self, data_dim: int, cond_dim: int, hidden: int, pac: int, dropout: float) -> None:
        super().__init__()
        self.pac = pac
        self.net = nn.Sequential(
            nn.Linear(pac * (data_dim + cond_dim), hidden),
            nn.LeakyReLU(0.2),
            nn.Dropout(dropout),
            nn.Linear(hidden, hidden),
            nn.LeakyReLU(0.2),
            nn.Dropout(dropout),
            nn.Linear(hidden, 1),
        )

    def forward(self, x: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        h = torch.cat([x, cond], dim=1)  # (B, D + C)
        return self.net(h.reshape(len(h) // self.pac, -1)).squeeze(1)


def planned_epochs(cfg: TabularGANConfig, n: int, steps_per_epoch: int) -> int:
    """``cfg.epochs``, or with ``cfg.step_budget`` the whole epochs that make
    ``ceil(step_budget * sqrt(n))`` optimiser steps (at least one epoch)."""
    if cfg.step_budget is None:
        return cfg.epochs
    steps = math.ceil(cfg.step_budget * math.sqrt(n))
    return max(1, math.ceil(steps / steps_per_epoch))


def batch_plan(n: int, batch_size: int | None, pac: int) -> tuple[int, int, int]:
    """``(batch, pac, steps per epoch)``: batches are whole packs; small tables get >= 8 steps."""
    pac = max(1, min(pac, n // 2))
    bs = batch_size if batch_size is not None else min(500, max(n // 8, 2 * pac))
    bs = max(pac, min(bs, n) // pac * pac)
    return bs, pac, max(1, n // bs)


class TabularCGAN(ConditionalGAN):
    """Conditional GAN for labelled tables, scikit-learn style.

    The class is an input of both networks, so ``sample(n, y)`` returns ``n`` rows of class
    ``y`` by construction (no rejection sampling). Other discrete columns are handled by
    training-by-sampling (`augment.transform.conditions`); the critic is a PacGAN trained with
    WGAN-GP in the shared loop; samples come from an EMA of the generator.

    Parameters
    ----------
    config : TabularGANConfig
    discrete : list of str, optional
        Columns to one-hot encode; by default non-numeric and boolean columns.
    random_state : int or None
        Seeds every random draw of ``fit`` and ``sample``; the global RNG is never touched.
    progress : bool
        Show a progress bar during training.
    """

    kind = "tabular"
    settings = TabularGANConfig

    def __init__(
        self,
        config: TabularGANConfig | None = None,
        discrete: list[str] | None = None,
        random_state: int | None = None,
        progress: bool = True,
    ) -> None:
        super().__init__(config, random_state, progress)
        self.discrete = discrete

    def fit(
        self,
        X: pd.DataFrame,
        y,
        callback: EpochCallback | None = None,
        checkpoint: str | Path | None = None,
        checkpoint_every: int = 10,
    ) -> TabularCGAN:
        """Fit on table ``X`` with labels ``y`` (see `ConditionalGAN.fit`).

        With ``config.patience``, held-out rows are set aside, checked every ``eval_every``
        epochs (``val_distance`` in the history) and the best EMA weights kept (``best_epoch_``,
        ``best_val_distance_``); with a checkpoint, the checks and best weights are kept in
        ``<checkpoint>.monitor`` so a resumed fit stops where the uninterrupted one would.
        """
        return super().fit(X, y, callback, checkpoint, checkpoint_every)

    def _check(self, X, y) -> pd.DataFrame:
        if not isinstance(X, pd.DataFrame):
            X = pd.DataFrame(np.asarray(X)).rename(columns=str)
        if len(X) != len(y):
            raise InvalidDataError(f"X has {len(X)} rows but y has {len(y)}")
        if len(X) < 2:
            raise InvalidDataError(f"a tabular GAN needs at least 2 rows, got {len(X)}")
        return X

    def _prepare(self, X: pd.DataFrame, codes: np.ndarray, cfg: TabularGANConfig):
        """Hold rows out for early stopping, fit the encoder and the condition sampler."""
        self._held_out = None
        if cfg.patience is not None and cfg.eval_every > 0:
            X, codes, self._held_out = monitor_split(X, codes, cfg.val_fraction, self._rng)
        seed = int(self._rng.integers(2**31))
        self.transformer_ = TabularTransformer(self.discrete, random_state=seed).fit(X)
        self._encoded = self.transformer_.transform(X, random_state=seed)
        self.order_ = np.asarray(grouped_order(self.transformer_.spans_)[0])  # grouped columns
        self.conditions_ = ConditionSampler(self.transformer_.spans_, len(self.classes_))
        self.conditions_.fit(self._encoded, codes)
        return X, codes

    def _fit_scope(self, cfg: TabularGANConfig):
        return _threads(cfg.num_threads)

    def _training(self, X, codes, cfg: TabularGANConfig, tgen, checkpoint, checkpoint_every):
        spans, k = self.transformer_.spans_, len(self.classes_)
        bs, pac, n_batches = batch_plan(len(X), cfg.batch_size, cfg.pac)
        epochs = planned_epochs(cfg, len(X), n_batches)
        cond_dim = k + self.conditions_.cond_dim
        dim = self.transformer_.output_dim_
        G = TabularGenerator(cfg.noise_dim, cond_dim, cfg.hidden, spans, cfg.tau)
        D = TabularCritic(dim, cond_dim, cfg.critic_hidden, pac, cfg.critic_dropout)
        G, D = G.to(self.device_), D.to(self.device_)
        data = torch.from_numpy(_grouped_in_place(self._encoded, self.order_)).to(self.device_)
        del self._encoded
        sampler, eye = self.conditions_, torch.eye(k)

        def batches():
            for _ in range(n_batches):
                rows, c, cond, _ = sampler.sample_train(bs, tgen, pac if cfg.class_packs else 1)
                y_cond = torch.cat([eye[c], cond], dim=1).to(self.device_)  # (B, K + C)
                yield data[rows.to(self.device_)], y_cond

        loop = LoopConfig(
            epochs=epochs,
            noise_dim=cfg.noise_dim,
            lr_g=cfg.lr_g,
            lr_d=cfg.lr_d,
            betas=(0.5, 0.9),
            loss="wgan-gp",
            ema_decay=cfg.ema_decay,
            desc="tabular cGAN",
            checkpoint_path=None if checkpoint is None else str(checkpoint),
            checkpoint_every=checkpoint_every,
            checkpoint_key=fingerprint(
                {"kind": self.kind, **asdict(cfg), "discrete": self.discrete},
                self.random_state,
                data.cpu().numpy(),
                codes,
            )
            if checkpoint is not None
            else "",
            g_penalty=_generator_penalty(
                _condition_loss(sampler, k, self.order_, G.act) if sampler.cond_dim else None,
                _aux_loss(data, codes, k, cfg.aux_weight, tgen) if cfg.aux_weight else None,
            ),
            reuse_fake=True,
            gp_every=cfg.gp_every,
            fused_adam=True,
            light_adam=True,
            freeze_d_for_g=True,
            # real and fake packs in one critic pass: one weight-gradient product over 2x the
            # packs instead of two plus their sum (the critic has no batch statistics, so only
            # the order of the dropout draws changes); -21% CPU per step on winequality-red-4
            joint_d_pass=True,
        )
        monitor = None
        if self._held_out is not None:
            monitor = TabularMonitor(
                *self._held_out,
                row_generator(self.transformer_, sampler, self.order_, cfg.noise_dim),
                [c for c, i in self.transformer_.info_.items() if i["type"] == "discrete"],
                cfg.eval_every,
                cfg.patience,
                epochs,
                int(self._rng.integers(2**31)),
                best_path=None if checkpoint is None else f"{checkpoint}.monitor",
                key=loop.checkpoint_key,
            )
        del self._held_out

        def finish() -> None:
            if monitor is None:
                return
            monitor.finish()
            if monitor.best_state is not None:  # keep the best EMA weights
                self.generator_.load_state_dict(monitor.best_state)
                self.best_epoch_, self.best_val_distance_ = monitor.best_epoch, monitor.best_value

        return Training(G, D, batches, loop, on_epoch_end=monitor, finish=finish)

    def _meta(self) -> dict:
        return {
            "transformer": self.transformer_.to_dict(),
            "condition_freq": self.conditions_.freq_.ravel().tolist(),
        }

    def _rebuild(self, meta: dict) -> nn.Module:
        cfg = self.settings_
        self.transformer_ = TabularTransformer.from_dict(meta["transformer"])
        spans, k = self.transformer_.spans_, len(self.classes_)
        self.conditions_ = ConditionSampler(spans, k, np.asarray(meta["condition_freq"]))
        self.order_ = np.asarray(grouped_order(spans)[0])
        cond_dim = k + self.conditions_.cond_dim
        return TabularGenerator(cfg.noise_dim, cond_dim, cfg.hidden, spans, cfg.tau)

    def _sample(self, n: int, code: int, gen: torch.Generator) -> pd.DataFrame:
        """``n`` rows of class ``code``: every row has exactly that class."""
        Z = np.zeros((n, self.transformer_.output_dim_), dtype=np.float32)
        with _threads(self.settings_.num_threads):
            for i, chunk in self._generate(n, code, gen):  # one copy of the rows, not two
                Z[i : i + len(chunk), self.order_] = chunk.numpy()  # the transformer's order
        return self.transformer_.inverse_transform(
            Z, random_state=int(torch.randint(2**31, (1,), generator=gen))
        )

    def _generate(
        self, n: int, code: int, gen: torch.Generator
    ) -> Iterator[tuple[int, torch.Tensor]]:
        """``(first row, rows)`` of ``n`` generated rows, 16,384 at a time."""
        # the Gumbel noise of SpanActivation draws from torch's global RNG: seed a fork of it
        seed = int(torch.randint(2**62, (1,), generator=gen))
        with seeded_torch_rng(seed, self.device_):
            for i in range(0, int(n), 16384):
                yield i, self._chunk(min(16384, int(n) - i), code, gen)

    def _chunk(self, m: int, code: int, gen: torch.Generator) -> torch.Tensor:
        z = torch.randn(m, self.noise_dim_, generator=gen)
        cond = self.conditions_.generator_input(np.full(m, code), gen)
        return self.generator_(z.to(self.device_), cond.to(self.device_)).cpu()


def _grouped_in_place(Z: np.ndarray, order: np.ndarray, rows: int = 65_536) -> np.ndarray:
    """``Z[:, order]`` written over ``Z`` a block of rows at a time: the encoded table is held
    once, not twice (plus one block)."""
    for i in range(0, len(Z), rows):
        Z[i : i + rows] = Z[i : i + rows][:, order]
    return Z


@contextmanager
def _threads(n: int | None) -> Iterator[None]:
    """Run with ``n`` torch CPU threads, restoring the caller's setting afterwards."""
    before = torch.get_num_threads()
    if n:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _generator_penalty(*terms):
    """Sum of the generator's extra loss terms (None when there is none)."""
    terms = [t for t in terms if t is not None]
    if not terms:
        return None
    return lambda fake, y: sum(t(fake, y) for t in terms)


def _aux_loss(data: torch.Tensor, codes: np.ndarray, k: int, weight: float, gen: torch.Generator):
    """Class-fidelity term: a frozen classifier fitted on the real encoded rows ``data``.

    Trained class-balanced (inverse-frequency weights) so rare classes count; returns
    ``loss(fake, y) = weight * CE(clf(fake), class of y)``.
    """
    y = torch.from_numpy(np.asarray(codes, dtype=np.int64)).to(data.device)
    counts = torch.bincount(y, minlength=k).clamp(min=1).float()
    clf = nn.Sequential(
        nn.Linear(data.shape[1], 128), nn.ReLU(), nn.Dropout(0.2), nn.Linear(128, k)
    ).to(data.device)
    opt = Adam(clf.parameters(), lr=1e-3, weight_decay=1e-4)  # ours: no torch.optim import
    w = (len(y) / (k * counts)).to(data.device)
    bs = min(256, len(y))
    for _ in range(300):
        idx = torch.randint(len(y), (bs,), generator=gen).to(data.device)
        loss = F.cross_entropy(clf(data[idx]), y[idx], weight=w)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    clf.eval()
    for p in clf.parameters():
        p.requires_grad_(False)

    def loss(fake: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        return weight * F.cross_entropy(clf(fake), cond[:, :k].argmax(dim=1))

    return loss


def _condition_loss(sampler: ConditionSampler, k: int, order: np.ndarray, act: SpanActivation):
    """Generator penalty: cross-entropy of the category each row's condition fixes (CTGAN's).

    Taken on the noiseless log-probabilities of G's last forward pass (``act.log_probs``), as
    CTGAN does on the logits: on the Gumbel-softmax output it is a noisy, saturated signal
    (a row whose Gumbel draw picked another category has ``p`` ~ 0).
    """
    position = torch.from_numpy(np.argsort(order))  # encoded column -> network position
    cols = position[sampler.out_idx[sampler.out_mask]] - act.n_tanh  # column in log_probs

    def loss(fake: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        pos = y[:, k:].argmax(dim=1)  # (B,) the fixed category
        rows = torch.arange(len(fake), device=fake.device)
        return -act.log_probs[rows, cols.to(fake.device)[pos]].mean()

    return loss
