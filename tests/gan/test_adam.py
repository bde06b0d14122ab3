"""`augment.gan.adam.Adam`: the closed-form Adam update, torch's fused Adam bit for bit, its
state layout, and a tabular fit that never imports ``torch._dynamo`` (what the class is for)."""

from __future__ import annotations

import math
import subprocess
import sys

import pytest
import torch
from torch import nn

from augment.gan.adam import Adam


@pytest.mark.parametrize("wd", [0.0, 0.1])
def test_update_is_closed_form_adam(wd):
    gen = torch.Generator().manual_seed(0)
    p0 = torch.randn(4, 3, generator=gen)
    grads = [torch.randn(4, 3, generator=gen) for _ in range(5)]
    w = p0.clone().requires_grad_(True)
    opt = Adam([w], lr=0.05, betas=(0.5, 0.9), eps=1e-8, weight_decay=wd)
    for g in grads:
        w.grad = g.clone()
        opt.step()
    # closed form with torch's eps placement: eps added to sqrt(v) / sqrt(1 - b2^t)
    p = p0.double().clone()
    m, v = torch.zeros(4, 3, dtype=torch.float64), torch.zeros(4, 3, dtype=torch.float64)
    for t, g in enumerate(grads, start=1):
        g = g.double() + wd * p
        m = 0.5 * m + 0.5 * g
        v = 0.9 * v + 0.1 * g * g
        p = p - 0.05 / (1 - 0.5**t) * m / (v.sqrt() / math.sqrt(1 - 0.9**t) + 1e-8)
    torch.testing.assert_close(w.detach().double(), p, rtol=1e-5, atol=1e-6)
    assert float(opt.state_dict()["state"][0]["step"]) == 5


def test_is_torch_fused_adam_bit_for_bit_with_a_skipped_parameter():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(5, 8), nn.ReLU(), nn.Linear(8, 2))
    twin = nn.Sequential(nn.Linear(5, 8), nn.ReLU(), nn.Linear(8, 2))
    twin.load_state_dict(net.state_dict())
    ours = Adam(net.parameters(), lr=1e-2, betas=(0.5, 0.9))
    ref = torch.optim.Adam(twin.parameters(), lr=1e-2, betas=(0.5, 0.9), fused=True)
    x = torch.randn(16, 5)
    for step in range(6):
        for model, opt in ((net, ours), (twin, ref)):
            opt.zero_grad(set_to_none=True)
            model(x).pow(2).mean().backward()
            if step == 2:  # the last bias gets no gradient at this step: no update, no t + 1
                model[2].bias.grad = None
            opt.step()
    for a, b in zip(net.parameters(), twin.parameters(), strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0)  # the same kernel: the same bits
    # the same state in torch's layout: our checkpoint loads into torch's Adam and back
    mine, theirs = ours.state_dict(), ref.state_dict()
    assert mine["state"].keys() == theirs["state"].keys()
    for i, s in theirs["state"].items():
        assert float(mine["state"][i]["step"]) == float(s["step"])
        torch.testing.assert_close(mine["state"][i]["exp_avg_sq"], s["exp_avg_sq"])
    fresh = Adam(twin.parameters(), lr=1.0)
    fresh.load_state_dict(theirs)
    assert fresh.param_groups[0]["lr"] == 1e-2
    assert [float(t) for t in fresh._t] == [float(t) for t in ours._t] == [6, 6, 6, 5]
    torch.optim.Adam(net.parameters()).load_state_dict(mine)


def test_load_refuses_another_parameter_count():
    a = Adam([torch.zeros(2, requires_grad=True)])
    with pytest.raises(ValueError, match="one group of 1"):
        a.load_state_dict(Adam([torch.zeros(1), torch.zeros(1)]).state_dict())


def test_a_sampler_fit_does_not_import_dynamo():
    code = (
        "import sys, numpy as np, torch\n"
        "from augment import ConditionalGANOverSampler\n"
        "rng = np.random.default_rng(0)\n"
        "X = rng.normal(size=(60, 3)); y = np.r_[np.zeros(50), np.ones(10)].astype(int)\n"
        "ConditionalGANOverSampler(epochs=1, random_state=0, aux_weight=1.0).fit_resample(X, y)\n"
        "print('torch._dynamo' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "False"
