"""Torch plumbing shared by the GANs and the CNN classifier: devices, seeding without touching
the caller's RNG, safe weights-only loading."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from augment.exceptions import InvalidDataError

_GLOBAL_RNG_LOCK = threading.RLock()  # reentrant: a scope may fit a CNN inside a GAN fit


def resolve_device(device: str) -> torch.device:
    """``"auto"`` -> CUDA when available, else CPU; anything else must be a valid torch device."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise InvalidDataError(f"device={device!r} requested but CUDA is not available; use 'cpu'")
    try:
        return torch.device(device)
    except RuntimeError:
        raise InvalidDataError(
            f"device={device!r} is not valid; use 'auto', 'cpu' or 'cuda'"
        ) from None


def make_generators(random_state: int | None) -> tuple[np.random.Generator, torch.Generator]:
    """A numpy and a torch generator from one seed (never the global RNG)."""
    seed = int(np.random.SeedSequence(random_state).generate_state(1)[0])
    tgen = torch.Generator(device="cpu")
    tgen.manual_seed(seed)
    return np.random.default_rng(seed), tgen


@contextmanager
def torch_rng_scope(rng: np.random.Generator) -> Iterator[None]:
    """Fork torch's global RNG, seed it from ``rng``, restore it on exit.

    Weight init, dropout and Gumbel noise draw from the global RNG; inside this scope they are
    reproducible from ``random_state`` and the caller's RNG state is left untouched.
    """
    with seeded_torch_rng(int(rng.integers(2**31))):
        yield


@contextmanager
def seeded_torch_rng(seed: int, device: torch.device | None = None) -> Iterator[None]:
    """Fork torch's global RNG (CPU, and ``device``'s when it is a GPU), seed it with ``seed``,
    restore it on exit."""
    # the global RNG is shared by all threads: parallel tasks (arms x seeds on a thread pool)
    # would otherwise seed and draw from it interleaved and lose reproducibility
    cuda = [device.index or 0] if device is not None and device.type == "cuda" else []
    with _GLOBAL_RNG_LOCK, torch.random.fork_rng(devices=cuda):
        torch.manual_seed(seed)
        yield


def seed_for_call(rng: np.random.Generator) -> torch.Generator:
    """A fresh torch generator drawn from the estimator's numpy generator (for sampling)."""
    g = torch.Generator(device="cpu")
    g.manual_seed(int(rng.integers(0, 2**63 - 1)))
    return g


def cpu_state(module: nn.Module) -> dict[str, torch.Tensor]:
    """A module's state dict as detached CPU tensors (what we save)."""
    return {k: v.detach().cpu() for k, v in module.state_dict().items()}


def load_weights_only(path: Path, fmt: str, what: str, hint: str = "") -> dict[str, Any]:
    """``torch.load(weights_only=True)`` of a file we wrote in format ``fmt``.

    A corrupt, unsafe (pickled code) or foreign file raises `InvalidDataError` naming ``path``
    and ``what`` it should have been; no code in it runs.
    """
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises many types for corrupt or unsafe files
        first = (str(err).splitlines() or [type(err).__name__])[0][:200]
        raise InvalidDataError(f"{path}: not a loadable augment {what} ({first}){hint}") from None
    if not isinstance(payload, dict) or payload.get("format") != fmt:
        raise InvalidDataError(f"{path}: not an augment {what} (expected format {fmt}){hint}")
    return payload
