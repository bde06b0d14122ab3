"""`augment.gan.loop` on its own, with linear networks whose losses and gradients we can work
out by hand: the D and G steps, the gradient penalty, the EMA and the loop's bookkeeping."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from augment.gan.loop import EMA, LoopConfig, _gradient_penalty, d_step, g_step, train_adversarial


class _LinD(nn.Module):
    """``D(x, y) = x @ w`` (scores (B,)); with ``pac`` > 1 scores packs of ``pac`` rows."""

    def __init__(self, w, pac: int = 1) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.tensor(w, dtype=torch.float32))
        self.pac = pac

    def forward(self, x, y):
        return x.reshape(len(x) // self.pac, -1) @ self.w


class _LinG(nn.Module):
    """``G(z, y) = z @ W + y``: (B, noise) -> (B, 2)."""

    def __init__(self, noise_dim: int = 3) -> None:
        super().__init__()
        self.W = nn.Parameter(torch.full((noise_dim, 2), 0.1))

    def forward(self, z, y):
        return z @ self.W + y[:, None].float()


def _cfg(**kw) -> LoopConfig:
    return LoopConfig(**{"epochs": 1, "noise_dim": 3, "lr_g": 0.1, "lr_d": 0.1, **kw})


def _same(x):
    return x


def test_hinge_d_step_loss_stats_and_update():
    D, G = _LinD([1.0, 0.0]), _LinG()
    x = torch.tensor([[0.5, 9.0], [2.0, 9.0]])  # D(real) = 0.5, 2.0
    fake = torch.tensor([[-0.5, 1.0], [-2.0, 1.0]])  # D(fake) = -0.5, -2.0
    y = torch.zeros(2, dtype=torch.long)
    opt = torch.optim.SGD(D.parameters(), lr=0.1)
    out = d_step(D, G, opt, x, y, _cfg(), torch.Generator(), _same, fake=fake)
    # relu(1 - real) and relu(1 + fake): only the first row of each is inside the margin
    assert out["d_loss"] == pytest.approx(0.25 + 0.25)
    assert out["d_real"] == pytest.approx(1.25) and out["d_fake"] == pytest.approx(-1.25)
    # d loss / d w = mean(-x over real rows in the margin) + mean(fake rows in the margin)
    grad = (-x[0] + fake[0]) / 2
    torch.testing.assert_close(D.w.detach(), torch.tensor([1.0, 0.0]) - 0.1 * grad)


def test_d_step_detaches_a_given_fake_and_makes_one_otherwise():
    D, G = _LinD([1.0, 1.0]), _LinG()
    x, y = torch.ones(4, 2), torch.zeros(4, dtype=torch.long)
    opt = torch.optim.SGD(D.parameters(), lr=0.0)
    fake = G(torch.ones(4, 3), y)  # attached to G's graph
    d_step(D, G, opt, x, y, _cfg(), torch.Generator(), _same, fake=fake)
    assert G.W.grad is None  # the D step never trains G
    gen = torch.Generator().manual_seed(0)
    out = d_step(D, G, opt, x, y, _cfg(), gen, _same)
    z = torch.randn(4, 3, generator=torch.Generator().manual_seed(0))
    assert out["d_fake"] == pytest.approx(D(G(z, y), y).mean().item(), abs=1e-6)


@pytest.mark.parametrize("loss", ["hinge", "wgan-gp"])
def test_a_joint_d_pass_scores_real_and_fake_as_two_passes_do(loss):
    # one forward of [real; fake] with [y; y]: the same scores, loss and update as two passes
    x = torch.tensor([[0.5, 9.0], [2.0, -1.0]])
    fake = torch.tensor([[-0.5, 1.0], [-2.0, 3.0]])
    y = torch.tensor([0, 1])
    out, w = {}, {}
    for joint in (False, True):
        D, G = _LinD([1.0, -0.5]), _LinG()
        opt = torch.optim.SGD(D.parameters(), lr=0.1)
        cfg = _cfg(loss=loss, joint_d_pass=joint)
        out[joint] = d_step(D, G, opt, x, y, cfg, torch.Generator().manual_seed(0), _same, fake)
        w[joint] = D.w.detach()
    assert out[True] == pytest.approx(out[False])
    torch.testing.assert_close(w[True], w[False])


def test_d_step_shows_d_what_diff_augment_makes_of_real_and_fake():
    D, G = _LinD([1.0, 0.0]), _LinG()
    x, fake = torch.full((2, 2), 3.0), torch.full((2, 2), -3.0)
    y = torch.zeros(2, dtype=torch.long)
    opt = torch.optim.SGD(D.parameters(), lr=0.0)
    out = d_step(D, G, opt, x, y, _cfg(), torch.Generator(), lambda t: t * 0, fake=fake)
    assert out["d_real"] == 0.0 and out["d_fake"] == 0.0 and out["d_loss"] == 2.0


def test_wgan_d_step_adds_the_weighted_penalty_only_when_asked():
    D, G = _LinD([3.0, 4.0]), _LinG()  # |grad D| = |w| = 5 everywhere: penalty (5 - 1)^2
    x, fake = torch.ones(2, 2), torch.zeros(2, 2)
    y = torch.zeros(2, dtype=torch.long)
    opt = torch.optim.SGD(D.parameters(), lr=0.0)
    cfg = _cfg(loss="wgan-gp", gp_weight=10.0, gp_every=2)
    plain = d_step(D, G, opt, x, y, cfg, torch.Generator(), _same, fake=fake, gp=False)
    assert plain["d_loss"] == pytest.approx(0.0 - 7.0)  # mean D(fake) - mean D(real)
    with_gp = d_step(D, G, opt, x, y, cfg, torch.Generator(), _same, fake=fake, gp=True)
    assert with_gp["d_loss"] == pytest.approx(-7.0 + 10.0 * 2 * 16.0)


@pytest.mark.parametrize(
    ("pac", "w", "norm"), [(1, [3.0, 4.0], 5.0), (2, [1.0, 2.0, 2.0, 4.0], 5.0)]
)
def test_gradient_penalty_is_one_norm_per_pack(pac, w, norm):
    D = _LinD(w, pac=pac)
    real, fake = torch.randn(4, 2), torch.randn(4, 2)
    gp = _gradient_penalty(D, real, fake, torch.zeros(4), torch.Generator().manual_seed(0))
    assert gp.item() == pytest.approx((norm - 1) ** 2, rel=1e-5)
    assert gp.requires_grad  # create_graph: the penalty trains D


def test_g_step_pushes_d_scores_of_fakes_up_and_adds_the_penalty():
    D, G = _LinD([1.0, 2.0]), _LinG()
    y = torch.zeros(2, dtype=torch.long)
    fake = G(torch.ones(2, 3), y)  # every entry 0.3: D(fake) = 0.9
    opt = torch.optim.SGD(G.parameters(), lr=0.1)
    cfg = _cfg(g_penalty=lambda f, labels: f.sum() * 0 + 0.5)
    out = g_step(D, G, opt, y, cfg, torch.Generator(), _same, fake=fake)
    assert out["g_loss"] == pytest.approx(-0.9 + 0.5)
    # d(-D(G(z))) / dW = -z^T w: the step moves W along +w for z = 1
    torch.testing.assert_close(
        G.W.detach(), torch.full((3, 2), 0.1) + 0.1 * torch.tensor([1.0, 2.0])
    )
    assert D.w.grad is not None  # D's gradients are computed but D is not stepped here
    assert D.w.detach().tolist() == [1.0, 2.0]


def test_ema_warms_up_then_uses_its_decay_and_copies_buffers():
    model = nn.BatchNorm1d(1)
    with torch.no_grad():
        model.weight.fill_(0.0)
    ema = EMA(model, decay=0.5)
    assert not any(p.requires_grad for p in ema.model.parameters())
    with torch.no_grad():
        model.weight.fill_(1.0)
        model.running_mean.fill_(7.0)
    assert ema.model.weight.item() == 0.0  # a copy, not the live module
    ema.update(model)  # step 1: decay min(0.5, 2/11)
    assert ema.model.weight.item() == pytest.approx(1 - 2 / 11)
    assert ema.model.running_mean.item() == 7.0
    ema.update(model)  # step 2: decay 3/12
    assert ema.model.weight.item() == pytest.approx(1 - 2 / 11 * 3 / 12)
    for _ in range(20):
        ema.update(model)
    with torch.no_grad():
        model.weight.fill_(3.0)
    before = ema.model.weight.item()
    ema.update(model)  # step 23: the warm-up (24 / 33) is above 0.5, so the decay is 0.5
    assert ema.model.weight.item() == pytest.approx(0.5 * before + 0.5 * 3.0)


def _data(n_batches: int = 3):
    x = torch.arange(8.0).reshape(4, 2) / 8
    y = torch.tensor([0, 1, 0, 1])
    return lambda: iter([(x, y)] * n_batches)


def test_loop_rows_are_per_epoch_means_numbered_from_one_and_reach_the_callback():
    torch.manual_seed(0)
    G, D, seen = _LinG(), _LinD([0.5, -0.5]), []
    cfg = _cfg(epochs=3)
    ema_g, history = train_adversarial(
        G, D, _data(), cfg, torch.Generator().manual_seed(0), callback=lambda e, r: seen.append(e),
        progress=False,
    )  # fmt: skip
    assert [r["epoch"] for r in history.rows] == [1, 2, 3] and seen == [1, 2, 3]
    assert set(history.rows[0]) == {"d_loss", "d_real", "d_fake", "g_loss", "epoch"}
    assert ema_g is not G and not ema_g.training  # the EMA copy, for sampling


@pytest.mark.parametrize(("reuse", "expected"), [(False, "DGDDGD"), (True, "GDGD")])
def test_n_critic_takes_one_g_step_every_n_d_steps(reuse, expected):
    # G runs without grad for a D step's fake, with grad for a G step's (or a shared one)
    G, D, calls = _LinG(), _LinD([0.5, -0.5]), []
    G.register_forward_hook(lambda *a: calls.append("G" if torch.is_grad_enabled() else "D"))
    cfg = _cfg(n_critic=2, reuse_fake=reuse)
    train_adversarial(G, D, _data(4), cfg, torch.Generator(), progress=False)
    assert "".join(calls) == expected  # G steps at steps 0 and 2 of 4


def test_on_epoch_end_sees_the_ema_generator_and_stops_the_loop():
    G, D, calls, seen = _LinG(), _LinD([0.5, -0.5]), [], []

    def hook(epoch, row, ema_g):
        calls.append((epoch, ema_g is not G))
        row["extra"] = 1.0
        return epoch == 2

    _, history = train_adversarial(
        G, D, _data(), _cfg(epochs=5), torch.Generator(), progress=False, on_epoch_end=hook,
        callback=lambda e, r: seen.append(r["extra"]),
    )  # fmt: skip
    assert calls == [(1, True), (2, True)] and len(history.rows) == 2
    assert seen == [1.0, 1.0]  # the hook's metrics reach the callback, the stop epoch too


def test_time_budget_ends_training_after_the_epoch_that_spends_it():
    G, D = _LinG(), _LinD([0.5, -0.5])
    _, history = train_adversarial(
        G, D, _data(), _cfg(epochs=50, max_seconds=0.0), torch.Generator(), progress=False
    )
    assert len(history.rows) == 1
    _, history = train_adversarial(
        G, D, _data(), _cfg(epochs=4, max_seconds=60.0), torch.Generator(), progress=False
    )
    assert len(history.rows) == 4


def test_loop_config_defaults_keep_the_original_behaviour():
    import dataclasses

    defaults = {f.name: f.default for f in dataclasses.fields(LoopConfig) if f.init}
    assert {k: v for k, v in defaults.items() if v is not dataclasses.MISSING} == {
        "betas": (0.0, 0.9),
        "loss": "hinge",
        "n_critic": 1,
        "gp_weight": 10.0,
        "ema_decay": 0.999,
        "max_seconds": None,
        "desc": "GAN",
        "checkpoint_path": None,
        "checkpoint_every": 10,
        "checkpoint_key": "",
        "g_penalty": None,
        "reuse_fake": False,
        "gp_every": 1,
        "fused_adam": False,
        "light_adam": False,
        "freeze_d_for_g": False,
        "joint_d_pass": False,
    }


@pytest.mark.parametrize("n_batches", [1, 3])
def test_loop_rows_are_exact_means_over_the_epoch_steps(n_batches):
    # D = 0 and nothing learns (lr 0): every hinge D loss is exactly 2, every score 0
    G, D = _LinG(), _LinD([0.0, 0.0])
    cfg = _cfg(epochs=2, lr_g=0.0, lr_d=0.0)
    _, history = train_adversarial(G, D, _data(n_batches), cfg, torch.Generator(), progress=False)
    for row in history.rows:
        assert row["d_loss"] == 2.0 and row["d_real"] == 0.0 and row["d_fake"] == 0.0
        assert row["g_loss"] == 0.0


def test_lazy_gradient_penalty_on_every_gp_every_th_step_weighted_up():
    # a linear D has a gradient norm of 5 everywhere: each penalised step adds w * 16
    def d_losses(gp_weight):
        G, D = _LinG(), _LinD([3.0, 4.0])
        cfg = _cfg(loss="wgan-gp", gp_weight=gp_weight, gp_every=2, lr_g=0.0, lr_d=0.0)
        gen = torch.Generator().manual_seed(0)
        _, history = train_adversarial(G, D, _data(3), cfg, gen, progress=False)
        return history.rows[0]["d_loss"]

    # steps 0 and 2 of 3 are penalised, each with weight 10 * 2
    assert d_losses(10.0) - d_losses(0.0) == pytest.approx(2 * 20.0 * 16.0 / 3)


def test_checkpoints_every_n_epochs_and_at_the_end(tmp_path):
    import numpy as np

    path, seen = tmp_path / "ckpt.pt", []
    G, D = _LinG(), _LinD([0.5, -0.5])
    cfg = _cfg(epochs=5, checkpoint_path=str(path), checkpoint_every=2, checkpoint_key="k")
    train_adversarial(
        G, D, _data(1), cfg, torch.Generator(), callback=lambda e, r: seen.append(path.exists()),
        progress=False, np_rng=np.random.default_rng(0),
    )  # fmt: skip
    # the callback of epoch e runs before epoch e's save: saves after epochs 2, 4 and 5
    assert seen == [False, False, True, True, True] and path.exists()


def test_logged_g_loss_is_the_mean_over_g_steps_with_n_critic():
    """With n_critic=2 an epoch of 4 steps has 2 G steps: the logged g_loss is their mean, not
    their sum over 4 (it was half the true value)."""
    import augment.gan.loop as loop

    seen: list[float] = []
    real_g_step = loop.g_step

    def recording_g_step(*args, **kwargs):
        stats = real_g_step(*args, **kwargs)
        seen.append(stats["g_loss"])
        return stats

    cfg = _cfg(n_critic=2, epochs=1)
    loop.g_step = recording_g_step
    try:
        _, history = train_adversarial(
            _LinG(), _LinD([0.5, -0.5]), _data(4), cfg, torch.Generator(), progress=False
        )
    finally:
        loop.g_step = real_g_step
    assert len(seen) >= 2
    assert history.rows[0]["g_loss"] == pytest.approx(sum(seen) / len(seen), rel=1e-6)
