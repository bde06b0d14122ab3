"""The tabular GAN's training plan: the speed settings its loop runs with, and the step budget
as the over-sampler passes it (issue 27)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import augment.gan.base as base
from augment import ConditionalGANOverSampler
from augment.gan.tabular import batch_plan


def _table(n: int = 200, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = (np.arange(n) % 5 == 0).astype(int)  # 20% minority
    return rng.normal(y[:, None], 1.0, size=(n, 3)), y


def test_the_tabular_loop_runs_with_one_critic_pass_and_the_light_adam(monkeypatch):
    seen = []
    real = base.train_adversarial

    def spy(G, D, batches, cfg, *a, **k):
        seen.append(cfg)
        return real(G, D, batches, cfg, *a, **k)

    monkeypatch.setattr(base, "train_adversarial", spy)
    ConditionalGANOverSampler(epochs=1, random_state=0).fit_resample(*_table())
    (cfg,) = seen
    assert (cfg.joint_d_pass, cfg.light_adam, cfg.reuse_fake, cfg.freeze_d_for_g) == (
        True,
        True,
        True,
        True,
    )


@pytest.mark.parametrize("budget", [0.5, 2.0])
def test_step_budget_trains_the_whole_epochs_that_make_its_steps(budget):
    X, y = _table()
    sampler = ConditionalGANOverSampler(epochs=50, step_budget=budget, random_state=0)
    sampler.fit_resample(X, y)
    per_epoch = batch_plan(len(X), None, 10)[2]
    epochs = len(sampler.generator_.history_.rows)
    steps = math.ceil(budget * math.sqrt(len(X)))
    assert epochs == max(1, math.ceil(steps / per_epoch))  # `epochs=50` is not used


def test_without_a_budget_the_epochs_are_trained():
    sampler = ConditionalGANOverSampler(epochs=3, step_budget=None, random_state=0)
    sampler.fit_resample(*_table())
    assert len(sampler.generator_.history_.rows) == 3


@pytest.mark.parametrize("bad", [0, -1.0])
def test_a_budget_must_be_positive(bad):
    with pytest.raises(ValueError, match="step_budget"):
        ConditionalGANOverSampler(step_budget=bad).fit_resample(*_table())
