"""Torch plumbing shared by the GANs and the CNN classifier: devices, seeding without touching
the caller's RNG, safe weights-only files that record and verify the SHA-256 of their contents."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from augment.exceptions import IntegrityError, InvalidDataError

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


DIGEST_KEY = "sha256"  # the payload entry holding the SHA-256 of the rest of the payload


def payload_digest(payload: dict[str, Any]) -> str:
    """SHA-256 over a canonical serialization of ``payload`` without its `DIGEST_KEY` entry.

    Tensors count by dtype, shape and raw bytes, so the digest is the same before `torch.save`
    and after `torch.load`, whatever the zip container around them looks like.
    """
    h = hashlib.sha256()
    _feed(h, {k: v for k, v in payload.items() if k != DIGEST_KEY})
    return h.hexdigest()


def _feed(h: Any, obj: Any) -> None:
    """Hash ``obj`` with a type tag and length before each value (no two values collide)."""
    if isinstance(obj, torch.Tensor):
        t = obj.detach().cpu().resolve_conj().resolve_neg().contiguous()
        h.update(f"T{t.dtype}{tuple(t.shape)}:".encode())
        h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes())
    elif isinstance(obj, dict):
        h.update(f"D{len(obj)}:".encode())
        for k, v in obj.items():  # insertion order: torch.load gives back the saved order
            _feed(h, k)
            _feed(h, v)
    elif isinstance(obj, list | tuple):
        h.update(f"L{len(obj)}:".encode())
        for v in obj:
            _feed(h, v)
    elif isinstance(obj, str | bytes):
        raw = obj.encode() if isinstance(obj, str) else obj
        h.update(f"{'S' if isinstance(obj, str) else 'Y'}{len(raw)}:".encode())
        h.update(raw)
    elif obj is None or isinstance(obj, bool | int):
        h.update(f"V{obj!r};".encode())
    elif isinstance(obj, float):
        h.update(f"F{obj.hex()};".encode())
    else:
        raise TypeError(f"cannot digest a {type(obj).__name__}")


def seal(payload: dict[str, Any]) -> dict[str, Any]:
    """``payload`` with the SHA-256 of its contents under `DIGEST_KEY`: what every weights file
    we write holds (`torch.save` it), so that `load_weights_only` can verify it."""
    sealed = {k: v for k, v in payload.items() if k != DIGEST_KEY}
    sealed[DIGEST_KEY] = payload_digest(sealed)
    return sealed


def load_weights_only(path: Path, fmt: str, what: str, hint: str = "") -> dict[str, Any]:
    """``torch.load(weights_only=True)`` of a `seal`-ed payload we wrote in format ``fmt``.

    A corrupt, unsafe (pickled code) or foreign file raises `InvalidDataError` naming ``path``
    and ``what`` it should have been; no code in it runs. A file of format ``fmt`` whose contents
    do not match the SHA-256 it records, or that records none, raises `IntegrityError`: torch
    does not check the zip's CRCs, so flipped bytes in the weights would otherwise load.
    """
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises many types for corrupt or unsafe files
        first = (str(err).splitlines() or [type(err).__name__])[0][:200]
        raise InvalidDataError(f"{path}: not a loadable augment {what} ({first}){hint}") from None
    if not isinstance(payload, dict) or payload.get("format") != fmt:
        raise InvalidDataError(f"{path}: not an augment {what} (expected format {fmt}){hint}")
    recorded = payload.get(DIGEST_KEY)
    if not isinstance(recorded, str):
        raise IntegrityError(
            f"{path}: the {what} records no SHA-256 of its contents, so it cannot be verified"
            " (damaged, or written by an older augment)"
        )
    try:
        actual = payload_digest(payload)
    except TypeError:  # a value we never write: not our contents
        actual = ""
    if actual != recorded:
        raise IntegrityError(
            f"{path}: the {what} does not match the SHA-256 it records; the file is damaged"
        )
    return payload
