"""The shortcuts of the training step give exactly what the plain code gives.

Cached EMA tensor lists vs walking the modules each step, clearing gradients by hand vs
``zero_grad``, one host transfer for the D step's numbers vs three ``.item()`` calls, the
segment-wise span activation vs a loop over columns (log-probabilities made on demand), and the
step budget's epochs.
"""

from __future__ import annotations

import copy
import math

import pytest
import torch
from torch import nn

from augment.gan.loop import EMA, LoopConfig, _clear_grads, d_step
from augment.gan.tabular import SpanActivation, TabularCritic, grouped_order, planned_epochs
from augment.gan_settings import TabularGANConfig
from augment.transform.tabular import Span


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


def _spans() -> list[Span]:
    """A value column with 3 modes, a 2-category column, a value column with 1 mode and NaNs."""
    return [
        Span("a", 0, 1, "tanh"),
        Span("a", 1, 4, "softmax", "mode"),
        Span("b", 4, 6, "softmax", "category"),
        Span("c", 6, 7, "tanh"),
        Span("c", 7, 8, "softmax", "mode"),
        Span("c", 8, 10, "softmax", "missing"),
    ]


def _per_span(raw: torch.Tensor, spans: list[Span], fn) -> torch.Tensor:
    """The per-column loop the segment-wise activation replaces, in the grouped layout."""
    order, groups = grouped_order(spans)
    n_tanh = len(order) - sum(n * w for _, n, w in groups)
    parts = [torch.tanh(raw[:, :n_tanh])]
    for start, n, width in groups:
        for i in range(n):
            parts.append(fn(raw[:, start + i * width : start + (i + 1) * width]))
    return torch.cat(parts, dim=1)


def test_span_activation_equals_the_per_column_loop_on_random_inputs():
    spans = _spans()
    act = SpanActivation(spans, tau=0.2).train()
    raw = torch.randn(64, spans[-1].end) * 3
    n_tanh = act.n_tanh
    torch.manual_seed(1)
    out = act(raw)
    torch.manual_seed(1)  # the same Gumbel draw for the reference
    u = torch.rand_like(raw[:, n_tanh:]).clamp_(min=1e-12)
    noisy = torch.cat([raw[:, :n_tanh], (raw[:, n_tanh:] - torch.log(-torch.log(u))) / 0.2], 1)
    want = _per_span(noisy, spans, lambda t: torch.softmax(t, dim=1))
    torch.testing.assert_close(
        out, torch.cat([want[:, :n_tanh].atanh().tanh(), want[:, n_tanh:]], 1)
    )
    logp = _per_span(raw, spans, lambda t: torch.log_softmax(t, dim=1))[:, n_tanh:]
    torch.testing.assert_close(act.log_probs, logp)


def test_log_probs_on_demand_carry_gradients_to_the_logits():
    spans = _spans()
    act = SpanActivation(spans, tau=0.2).train()
    raw = torch.randn(8, spans[-1].end, requires_grad=True)
    act(raw)
    act.log_probs[:, -1].sum().backward()  # the last column: of the 3-wide mode span
    assert raw.grad[:, act.n_tanh :].abs().sum() > 0
    assert raw.grad[:, : act.n_tanh].abs().sum() == 0
