"""The shortcuts of the training step give exactly what the plain code gives.

Cached EMA tensor lists vs walking the modules each step, clearing gradients by hand vs
``zero_grad``, one host transfer for the D step's numbers vs three ``.item()`` calls, and the
step budget's epochs.
"""

from __future__ import annotations

import copy
import math

import pytest
import torch
from torch import nn

from augment.gan.loop import EMA, LoopConfig, _clear_grads, d_step
from augment.gan.tabular import TabularCritic, planned_epochs
from augment.gan_settings import TabularGANConfig


def _net() -> nn.Module:
    return nn.Sequential(nn.Linear(5, 7), nn.BatchNorm1d(7), nn.ReLU(), nn.Linear(7, 3))


def _plain_ema(own: nn.Module, live: nn.Module, steps: int, decay: float) -> None:
    """The per-tensor EMA update the fused one replaces."""
    d = min(decay, (1 + steps) / (10 + steps))
    with torch.no_grad():
        for a, b in zip(own.parameters(), live.parameters(), strict=True):
            a.lerp_(b, 1.0 - d)
        for a, b in zip(own.buffers(), live.buffers(), strict=True):
            a.copy_(b)


def test_ema_with_cached_lists_equals_the_plain_update_as_the_model_trains():
    torch.manual_seed(0)
    live = _net()
    ema, plain = EMA(live, 0.99), copy.deepcopy(live)
    opt = torch.optim.Adam(live.parameters(), lr=0.1)
    for step in range(1, 6):
        live(torch.randn(8, 5)).square().mean().backward()  # updates BN buffers too
        opt.step()  # in place: the cached lists see the new values
        ema.update(live)
        _plain_ema(plain, live, step, 0.99)
    for a, b in zip(ema.model.state_dict().values(), plain.state_dict().values(), strict=True):
        assert torch.equal(a, b)


def test_ema_follows_another_model_it_is_given():
    torch.manual_seed(0)
    first, second = _net(), _net()
    ema = EMA(first, 0.0)  # decay 0 after warm-up is capped: (1 + 1) / 11 on the first step
    ema.update(first)
    ema.update(second)
    plain = copy.deepcopy(first)
    _plain_ema(plain, first, 1, 0.0)
    _plain_ema(plain, second, 2, 0.0)
    for a, b in zip(ema.model.state_dict().values(), plain.state_dict().values(), strict=True):
        assert torch.equal(a, b)


def test_clear_grads_is_zero_grad_set_to_none():
    net = _net()
    opt = torch.optim.Adam(net.parameters())
    net(torch.randn(4, 5)).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    _clear_grads(opt)
    assert all(p.grad is None for p in net.parameters())


@pytest.mark.parametrize("gp", [False, True])
def test_d_step_numbers_equal_item_calls(gp):
    torch.manual_seed(0)
    D = TabularCritic(data_dim=6, cond_dim=2, hidden=16, pac=2, dropout=0.0)
    x, fake, y = torch.randn(8, 6), torch.randn(8, 6), torch.randn(8, 2)
    twin = copy.deepcopy(D)
    cfg = LoopConfig(epochs=1, noise_dim=4, lr_g=1e-3, lr_d=1e-3, loss="wgan-gp")
    opt = torch.optim.Adam(D.parameters(), lr=1e-3)
    got = d_step(D, None, opt, x, y, cfg, torch.Generator().manual_seed(1), lambda t: t, fake, gp)
    # the same step by hand, numbers read one by one
    d_real, d_fake = twin(x, y), twin(fake, y)
    assert got["d_real"] == d_real.mean().item()
    assert got["d_fake"] == d_fake.mean().item()
    if not gp:
        assert got["d_loss"] == (d_fake.mean() - d_real.mean()).item()


def test_planned_epochs_without_a_budget_are_the_epochs():
    assert planned_epochs(TabularGANConfig(epochs=7), 1_000, 8) == 7


@pytest.mark.parametrize(("rows", "per_epoch"), [(100, 8), (1_500, 8), (10_000, 20), (10**6, 2000)])
def test_planned_epochs_give_at_least_the_budgeted_steps_in_whole_epochs(rows, per_epoch):
    cfg = TabularGANConfig(step_budget=20.0)
    epochs = planned_epochs(cfg, rows, per_epoch)
    steps = math.ceil(20.0 * math.sqrt(rows))
    assert epochs >= 1
    assert epochs * per_epoch >= steps
    assert epochs == 1 or (epochs - 1) * per_epoch < steps
