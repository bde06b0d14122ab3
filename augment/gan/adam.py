"""A thin Adam over torch's fused Adam kernel, for the GAN loop's many tiny steps.

The same kernel and so the same numbers as ``torch.optim.Adam(fused=True)`` (no amsgrad, no
maximize), without its costs for these small networks: constructing any ``torch.optim``
optimiser imports ``torch._dynamo`` (its ``@_disable_dynamo`` wrappers; ~2 s once per process on
CPU), and every ``step`` goes through the profiler / hook / dynamo-disable wrapping and regroups
the tensors by device. ``state_dict`` uses torch's layout, so a checkpoint of either loads into
either.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch


class Adam:
    """Adam (Kingma & Ba), torch's formulation: ``p -= lr / (1 - b1^t) * m / (sqrt(v) /
    sqrt(1 - b2^t) + eps)``; ``weight_decay`` is L2 added to the gradient (not AdamW).

    Parameters all on one device and dtype (one network). Those without a gradient at a step
    are skipped, their step count too, as torch does. One parameter group.
    """

    def __init__(
        self,
        params: Iterable[torch.Tensor],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        self.params = list(params)
        # the attribute the loop's `_clear_grads` and checkpoints read
        self.param_groups = [
            {
                "params": self.params,
                "lr": lr,
                "betas": betas,
                "eps": eps,
                "weight_decay": weight_decay,
            }
        ]
        self._m = [torch.zeros_like(p) for p in self.params]  # first moments
        self._v = [torch.zeros_like(p) for p in self.params]  # second moments
        # steps taken by each parameter: float32 tensors on its device, as the kernel reads them
        self._t = [torch.zeros((), dtype=torch.float32, device=p.device) for p in self.params]

    @torch.no_grad()
    def step(self) -> None:
        """One update of every parameter that has a gradient."""
        group = self.param_groups[0]
        live = [i for i, p in enumerate(self.params) if p.grad is not None]
        if not live:
            return
        if len(live) == len(self.params):  # the usual case: no list rebuilding
            params, m, v, t = self.params, self._m, self._v, self._t
        else:
            params = [self.params[i] for i in live]
            m, v, t = ([xs[i] for i in live] for xs in (self._m, self._v, self._t))
        torch._foreach_add_(t, 1)
        b1, b2 = group["betas"]
        torch._fused_adam_(
            params,
            [p.grad for p in params],
            m,
            v,
            [],  # no amsgrad
            t,
            lr=group["lr"],
            beta1=b1,
            beta2=b2,
            weight_decay=group["weight_decay"],
            eps=group["eps"],
            amsgrad=False,
            maximize=False,
        )

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Drop the gradients (``set_to_none`` is accepted for torch's signature)."""
        for p in self.params:
            p.grad = None

    def state_dict(self) -> dict[str, Any]:
        """torch.optim's layout: ``{"state": {i: {step, exp_avg, exp_avg_sq}}, "param_groups"}``."""
        state = {
            i: {"step": t.clone(), "exp_avg": m.clone(), "exp_avg_sq": v.clone()}
            for i, (t, m, v) in enumerate(zip(self._t, self._m, self._v, strict=True))
            if t.item() > 0
        }
        group = {k: v for k, v in self.param_groups[0].items() if k != "params"}
        group["params"] = list(range(len(self.params)))
        return {"state": state, "param_groups": [group]}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load a `state_dict` of this class or of ``torch.optim.Adam`` (one group, no amsgrad)."""
        groups = state_dict["param_groups"]
        if len(groups) != 1 or len(groups[0]["params"]) != len(self.params):
            raise ValueError(
                f"optimiser state has {[len(g['params']) for g in groups]} parameters per group;"
                f" this optimiser has one group of {len(self.params)}"
            )
        group = groups[0]
        for key in ("lr", "eps", "weight_decay"):
            self.param_groups[0][key] = group[key]
        self.param_groups[0]["betas"] = tuple(group["betas"])
        states = state_dict["state"]
        for pos, i in enumerate(group["params"]):
            s = states.get(i)
            if s is None:  # a parameter that has not been stepped yet
                self._t[pos].zero_()
                self._m[pos].zero_()
                self._v[pos].zero_()
                continue
            self._t[pos].fill_(float(s["step"]))
            self._m[pos].copy_(s["exp_avg"])
            self._v[pos].copy_(s["exp_avg_sq"])
