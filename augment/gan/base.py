"""What the two conditional GANs share: the `ConditionalGAN` estimator base (fit skeleton,
persistence, sampling guard, history), label checks, rebuilding a saved generator."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from augment.exceptions import InvalidDataError
from augment.gan.history import History
from augment.gan.loop import EpochCallback, LoopConfig, train_adversarial
from augment.torchutil import make_generators, resolve_device, seed_for_call, torch_rng_scope


def label_codes(y, classes: np.ndarray) -> np.ndarray:
    """Map labels to positions in ``classes``; unknown labels raise naming them and the allowed."""
    y = np.asarray(y)
    idx = np.searchsorted(classes, y)
    idx = np.clip(idx, 0, len(classes) - 1)
    bad = classes[idx] != y
    if bad.any():
        unknown = sorted({str(v) for v in y[bad]})[:5]
        raise InvalidDataError(
            f"unknown class label(s) {unknown}; the model was fitted on {list(map(str, classes))}"
        )
    return idx


def attach_generator(model: Any, G: nn.Module, meta: dict, state: dict, device: str) -> Any:
    """Finish a model rebuilt by ``from_meta``: saved weights into ``G`` on ``device``, the
    training history, and a sampling RNG from the saved ``random_state``."""
    G.load_state_dict(state)
    model.device_ = resolve_device(device)
    model.generator_ = G.to(model.device_).eval()
    model.history_ = History(meta["history"])
    model.noise_dim_ = int(meta["config"]["noise_dim"])
    model._rng, _ = make_generators(model.random_state)
    return model


@dataclass
class Training:
    """What a model supplies to the shared fit: networks, batches, loop settings, hooks."""

    G: nn.Module
    D: nn.Module
    batches: Callable[[], Iterator[tuple[torch.Tensor, torch.Tensor]]]
    loop: LoopConfig
    diff_augment: Callable[[torch.Tensor], torch.Tensor] | None = None  # what D sees
    on_epoch_end: Callable[..., bool | None] | None = None
    finish: Callable[[], None] = lambda: None  # after training: e.g. keep the best weights


class ConditionalGAN:
    """A conditional GAN, scikit-learn style: the fit skeleton, persistence, the sampling guard
    and the history. Subclasses supply the data checks and encoding (`_check`, `_prepare`), the
    networks, batches and monitors (`_training`), their own saved state (`_meta`, `_rebuild`)
    and how samples are made (`_sample`)."""

    kind = ""
    settings: type = object  # the model's settings dataclass (augment.gan_settings)
    # whether training (not only init) draws from torch's global RNG (dropout, Gumbel noise):
    # then the whole fit holds the global RNG lock and fits run one at a time; otherwise only
    # init does, and fits in several threads run side by side
    global_rng_in_training = True

    def __init__(self, config=None, random_state: int | None = None, progress: bool = True):
        self.config = config
        self.random_state = random_state
        self.progress = progress

    @property
    def settings_(self):
        """The settings in use: ``config``, or the model's defaults."""
        return self.config or self.settings()

    def fit(
        self,
        X,
        y,
        callback: EpochCallback | None = None,
        checkpoint: str | Path | None = None,
        checkpoint_every: int = 10,
        **hooks: Any,
    ):
        """Validate, encode, build the networks, run the shared loop, keep the best weights.

        ``checkpoint``: a file to resume from (if it holds a compatible checkpoint) and to write
        every ``checkpoint_every`` epochs; a killed fit rerun with the same arguments continues.
        ``callback(epoch, row)`` gets each epoch's losses and D outputs.
        """
        cfg = self.settings_
        X = self._check(X, y)
        self.classes_ = np.unique(np.asarray(y))
        codes = label_codes(y, self.classes_)
        self._rng, tgen = make_generators(self.random_state)
        X, codes = self._prepare(X, codes, cfg)
        self.device_ = resolve_device(cfg.device)

        def train(plan) -> None:
            extra = {"diff_augment": plan.diff_augment} if plan.diff_augment else {}
            self.generator_, self.history_ = train_adversarial(
                plan.G,
                plan.D,
                plan.batches,
                plan.loop,
                tgen,
                **extra,
                callback=callback,
                progress=self.progress,
                np_rng=self._rng,
                on_epoch_end=plan.on_epoch_end,
            )

        def training():
            return self._training(X, codes, cfg, tgen, checkpoint, checkpoint_every, **hooks)

        # init (and dropout, Gumbel noise): reproducible, caller's global RNG untouched
        if self.global_rng_in_training:
            with torch_rng_scope(self._rng), self._fit_scope(cfg):
                plan = training()
                train(plan)
        else:
            with torch_rng_scope(self._rng):
                plan = training()
            with self._fit_scope(cfg):  # every training draw from tgen: no lock needed
                train(plan)
        plan.finish()
        self.noise_dim_ = cfg.noise_dim
        return self

    def _fit_scope(self, cfg) -> AbstractContextManager:
        return nullcontext()

    def get_meta(self) -> dict:
        """JSON-able state besides the generator weights (see `augment.gan.persist`)."""
        return {
            "config": asdict(self.settings_),
            "random_state": self.random_state,
            "classes": self.classes_.tolist(),
            **self._meta(),
            "history": self.history_.rows,
        }

    @classmethod
    def from_meta(cls, meta: dict, state: dict, device: str = "auto"):
        """A fitted model rebuilt from `get_meta` and the saved generator weights."""
        model = cls(cls.settings(**meta["config"]), random_state=meta["random_state"])
        model.progress = False
        model.classes_ = np.asarray(meta["classes"])
        with torch_rng_scope(np.random.default_rng(0)):  # init draws: not from other threads'
            G = model._rebuild(meta)
        return attach_generator(model, G, meta, state, device)

    @torch.no_grad()
    def sample(self, n: int, y, random_state: int | None = None):
        """``n`` samples of class ``y`` (a label): every sample has exactly that class."""
        if not hasattr(self, "generator_"):
            raise RuntimeError(f"{type(self).__name__} is not fitted; call fit first")
        if int(n) < 0:
            raise InvalidDataError(f"n={n}: the number of samples must be >= 0")
        code = int(label_codes([y], self.classes_)[0])
        gen = seed_for_call(
            self._rng if random_state is None else np.random.default_rng(random_state)
        )
        return self._sample(int(n), code, gen)

    @property
    def history(self) -> History:
        return self.history_
