"""Estimator plumbing shared by the conditional GANs: seeding, devices, label checks, batching."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import torch

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


@contextmanager
def torch_rng_scope(rng: np.random.Generator) -> Iterator[None]:
    """Fork torch's global RNG, seed it from ``rng``, restore it on exit.

    Weight init, dropout and Gumbel noise draw from the global RNG; inside this scope they are
    reproducible from ``random_state`` and the caller's RNG state is left untouched.
    """
    # the global RNG is shared by all threads: parallel tasks (arms x seeds on a thread pool)
    # would otherwise seed and draw from it interleaved and lose reproducibility
    with _GLOBAL_RNG_LOCK, torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(rng.integers(2**31)))
        yield


def seed_for_call(rng: np.random.Generator) -> torch.Generator:
    """A fresh torch generator drawn from the estimator's numpy generator (for sampling)."""
    g = torch.Generator(device="cpu")
    g.manual_seed(int(rng.integers(0, 2**63 - 1)))
    return g
