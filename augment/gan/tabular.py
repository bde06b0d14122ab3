"""Conditional tabular GAN: the class label conditions G and D, so sampling a class is exact.

Residual MLP generator with per-span output activations (tanh for continuous, Gumbel-softmax
for one-hot columns), MLP critic trained with WGAN-GP, EMA generator for sampling.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn

from augment.exceptions import InvalidDataError
from augment.gan.base import (
    label_codes,
    make_generators,
    resolve_device,
    seed_for_call,
    torch_rng_scope,
)
from augment.gan.checkpoint import fingerprint
from augment.gan.loop import EpochCallback, History, LoopConfig, train_adversarial
from augment.transform.tabular import Span, TabularTransformer


@dataclass(frozen=True)
class TabularGANConfig:
    epochs: int = 300
    batch_size: int = 64
    noise_dim: int = 64
    hidden: int = 256  # width of generator and critic layers
    lr_g: float = 2e-4
    lr_d: float = 2e-4
    ema_decay: float = 0.999
    tau: float = 0.2  # Gumbel-softmax temperature for discrete columns
    device: str = "auto"


class Residual(nn.Module):
    def __init__(self, width: int) -> None:
        super().__init__()
        self.fc = nn.Linear(width, width)
        self.bn = nn.BatchNorm1d(width)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + F.relu(self.bn(self.fc(x)))


class TabularGenerator(nn.Module):
    """(z, y) -> encoded row ``(B, D)`` with each span passed through its activation."""

    def __init__(
        self, noise_dim: int, n_classes: int, hidden: int, spans: list[Span], tau: float
    ) -> None:
        super().__init__()
        self.embed = nn.Embedding(n_classes, noise_dim)
        self.inp = nn.Linear(2 * noise_dim, hidden)
        self.body = nn.Sequential(Residual(hidden), Residual(hidden))
        self.out = nn.Linear(hidden, spans[-1].end)
        self.spans = spans
        self.tau = tau

    def forward(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        h = self.body(F.relu(self.inp(torch.cat([z, self.embed(y)], dim=1))))
        raw = self.out(h)
        parts = []
        for s in self.spans:
            block = raw[:, s.start : s.end]
            if s.kind == "tanh":
                parts.append(torch.tanh(block))
            elif self.training:
                parts.append(F.gumbel_softmax(block, tau=self.tau))
            else:
                parts.append(F.softmax(block, dim=1))
        return torch.cat(parts, dim=1)


class TabularCritic(nn.Module):
    """(x, y) -> score ``(B,)``; the label enters as a learned embedding."""

    def __init__(self, data_dim: int, n_classes: int, hidden: int) -> None:
        super().__init__()
        self.embed = nn.Embedding(n_classes, 16)
        self.net = nn.Sequential(
            nn.Linear(data_dim + 16, hidden),
            nn.LeakyReLU(0.2),
            nn.Dropout(0.2),
            nn.Linear(hidden, hidden),
            nn.LeakyReLU(0.2),
            nn.Dropout(0.2),
            nn.Linear(hidden, 1),
        )

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return self.net(torch.cat([x, self.embed(y)], dim=1)).squeeze(1)


class TabularCGAN:
    """Conditional GAN for labelled tables, scikit-learn style.

    Parameters
    ----------
    config : TabularGANConfig
    discrete : list of str, optional
        Columns to one-hot encode; by default non-numeric and boolean columns.
    random_state : int or None
    progress : bool
    """

    def __init__(
        self,
        config: TabularGANConfig | None = None,
        discrete: list[str] | None = None,
        random_state: int | None = None,
        progress: bool = True,
    ) -> None:
        self.config = config
        self.discrete = discrete
        self.random_state = random_state
        self.progress = progress

    def fit(
        self,
        X: pd.DataFrame,
        y,
        callback: EpochCallback | None = None,
        checkpoint: str | Path | None = None,
        checkpoint_every: int = 10,
    ) -> TabularCGAN:
        """Fit on table ``X`` with labels ``y``.

        ``checkpoint``: a file to resume from (if it holds a compatible checkpoint) and to write
        every ``checkpoint_every`` epochs; a killed fit rerun with the same arguments continues.
        """
        cfg = self.config or TabularGANConfig()
        if not isinstance(X, pd.DataFrame):
            X = pd.DataFrame(np.asarray(X)).rename(columns=str)
        if len(X) != len(y):
            raise InvalidDataError(f"X has {len(X)} rows but y has {len(y)}")
        self.classes_ = np.unique(np.asarray(y))
        codes = label_codes(y, self.classes_)
        self.transformer_ = TabularTransformer(self.discrete).fit(X)
        data = torch.from_numpy(self.transformer_.transform(X))
        self.device_ = resolve_device(cfg.device)
        self._rng, tgen = make_generators(self.random_state)
        k = len(self.classes_)
        spans = self.transformer_.spans_
        # init, dropout, Gumbel noise: reproducible, caller's global RNG untouched
        with torch_rng_scope(self._rng):
            G = TabularGenerator(cfg.noise_dim, k, cfg.hidden, spans, cfg.tau).to(self.device_)
            D = TabularCritic(self.transformer_.output_dim_, k, cfg.hidden).to(self.device_)
            data = data.to(self.device_)
            labels = torch.from_numpy(codes).to(self.device_)
            bs = max(2, min(cfg.batch_size, len(data)))
            # class-balanced batches so rare classes are learned as well as common ones
            weights = torch.from_numpy(1.0 / np.bincount(codes)[codes])
            n_batches = max(1, len(data) // bs)

            def batches():
                idx = torch.multinomial(weights, n_batches * bs, replacement=True, generator=tgen)
                for j in idx.to(self.device_).view(n_batches, bs):
                    yield data[j], labels[j]

            loop = LoopConfig(
                epochs=cfg.epochs,
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
            )
            self.generator_, self.history_ = train_adversarial(
                G,
                D,
                batches,
                loop,
                tgen,
                callback=callback,
                progress=self.progress,
                np_rng=self._rng,
            )
        self.noise_dim_ = cfg.noise_dim
        return self

    kind = "tabular"

    def get_meta(self) -> dict:
        """JSON-able state besides the generator weights (see `augment.gan.persist`)."""
        return {
            "config": asdict(self.config or TabularGANConfig()),
            "random_state": self.random_state,
            "classes": self.classes_.tolist(),
            "transformer": self.transformer_.to_dict(),
            "history": self.history_.rows,
        }

    @classmethod
    def from_meta(cls, meta: dict, state: dict, device: str = "auto") -> TabularCGAN:
        cfg = TabularGANConfig(**meta["config"])
        model = cls(cfg, random_state=meta["random_state"], progress=False)
        model.classes_ = np.asarray(meta["classes"])
        model.transformer_ = TabularTransformer.from_dict(meta["transformer"])
        model.device_ = resolve_device(device)
        model._rng, _ = make_generators(model.random_state)
        spans = model.transformer_.spans_
        G = TabularGenerator(cfg.noise_dim, len(model.classes_), cfg.hidden, spans, cfg.tau)
        G.load_state_dict(state)
        model.generator_ = G.to(model.device_).eval()
        model.history_ = History(meta["history"])
        model.noise_dim_ = cfg.noise_dim
        return model

    @torch.no_grad()
    def sample(self, n: int, y, random_state: int | None = None) -> pd.DataFrame:
        """``n`` rows of class ``y`` (a label): every row has exactly that class."""
        if not hasattr(self, "generator_"):
            raise RuntimeError("TabularCGAN is not fitted; call fit first")
        code = int(label_codes([y], self.classes_)[0])
        gen = seed_for_call(
            self._rng if random_state is None else np.random.default_rng(random_state)
        )
        chunks = []
        for i in range(0, n, 4096):
            m = min(4096, n - i)
            z = torch.randn(m, self.noise_dim_, generator=gen).to(self.device_)
            labels = torch.full((m,), code, dtype=torch.long, device=self.device_)
            chunks.append(self.generator_(z, labels).cpu().numpy())
        Z = (
            np.concatenate(chunks)
            if chunks
            else np.zeros((0, self.transformer_.output_dim_), np.float32)
        )
        return self.transformer_.inverse_transform(Z)

    @property
    def history(self) -> History:
        return self.history_
