"""Resumable GAN training checkpoints.

A checkpoint holds everything the loop needs to continue exactly where it stopped: G, D, the EMA
generator, both optimizers, the RNG states (the loop's torch generator, torch's global RNG that
dropout and Gumbel noise draw from, CUDA's, and an optional numpy generator), the epoch count and
the history. It is written atomically (temp file, fsync, ``os.replace``), so a kill at any moment
leaves either the previous checkpoint or the new one, never half a file. It is read with
``torch.load(..., weights_only=True)``: tensors and plain values only, never pickled code. It
records the SHA-256 of its contents; one that does not match it (damaged on disk) is ignored with
a warning, as one of another training is, and training starts afresh.

A ``fingerprint`` of the data, the model configuration (all but ``epochs`` and ``device``) and the
seed guards against resuming someone else's training: a checkpoint with another fingerprint is
ignored (and overwritten), so raising ``epochs`` continues a finished training.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from augment.atomic import atomic_write
from augment.exceptions import ConfigError, IntegrityError, InvalidDataError
from augment.torchutil import cpu_state, load_weights_only, seal

FORMAT = "augment-ckpt/1"

log = logging.getLogger(__name__)


def fingerprint(config: dict[str, Any], random_state: int | None, *arrays: np.ndarray) -> str:
    """SHA-256 over the config (minus ``epochs``/``device``), the seed and the training arrays."""
    h = hashlib.sha256()
    kept = {k: v for k, v in config.items() if k not in ("epochs", "device")}
    h.update(json.dumps(kept, sort_keys=True, default=str).encode())
    h.update(repr(random_state).encode())
    for a in arrays:
        a = np.ascontiguousarray(a)
        h.update(f"{a.dtype}{a.shape}".encode())
        h.update(a.tobytes())
    return h.hexdigest()


def check_checkpoint_dir(folder: str | Path) -> None:
    """Fail before any work when checkpoints could not be written under ``folder``."""
    path = Path(folder).resolve()
    probe = path
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if not probe.is_dir() or not os.access(probe, os.W_OK):
        raise ConfigError(f"checkpoint folder {folder} cannot be created or written")


def save_checkpoint(path: str | Path, state: dict[str, Any]) -> Path:
    """Write ``state`` (see `training_state`) and its SHA-256 to ``path`` atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    sealed = seal(state)
    return atomic_write(path, lambda tmp: torch.save(sealed, tmp))


def training_state(
    *,
    key: str,
    epoch: int,
    G: nn.Module,
    D: nn.Module,
    ema: Any,
    opt_g: torch.optim.Optimizer,
    opt_d: torch.optim.Optimizer,
    gen: torch.Generator,
    np_rng: np.random.Generator | None,
    history_rows: list[dict[str, float]],
) -> dict[str, Any]:
    """The checkpoint payload: tensors, numbers and strings only (loadable with weights_only)."""
    on_cuda = any(p.is_cuda for p in G.parameters())
    return {
        "format": FORMAT,
        "fingerprint": key,
        "epoch": int(epoch),
        "G": cpu_state(G),
        "D": cpu_state(D),
        "ema": cpu_state(ema.model),
        "ema_steps": int(ema.steps),
        "opt_g": opt_g.state_dict(),
        "opt_d": opt_d.state_dict(),
        "rng_loop": gen.get_state(),
        "rng_torch": torch.get_rng_state(),
        "rng_cuda": torch.cuda.get_rng_state_all() if on_cuda else [],
        "rng_numpy": json.dumps(np_rng.bit_generator.state) if np_rng is not None else "",
        "history": json.dumps(history_rows),
    }


def read_checkpoint(path: str | Path) -> dict[str, Any]:
    """Load a checkpoint safely; `InvalidDataError` naming the file if it is not a valid one,
    `IntegrityError` if its contents do not match the SHA-256 it records."""
    return load_weights_only(Path(path), FORMAT, "checkpoint", "; delete it to train afresh")


def restore_training_state(
    path: str | Path,
    *,
    key: str,
    max_epochs: int,
    G: nn.Module,
    D: nn.Module,
    ema: Any,
    opt_g: torch.optim.Optimizer,
    opt_d: torch.optim.Optimizer,
    gen: torch.Generator,
    np_rng: np.random.Generator | None,
) -> tuple[int, list[dict[str, float]]]:
    """Load a compatible checkpoint into the live objects; ``(epochs done, history rows)``.

    Returns ``(0, [])`` when there is no checkpoint, it belongs to another training or it is
    damaged (fails its SHA-256 check; it is overwritten by the next checkpoint).
    """
    path = Path(path)
    if not path.is_file():
        return 0, []
    try:
        payload = read_checkpoint(path)
    except IntegrityError as err:
        log.warning("%s; starting afresh", err)
        return 0, []
    if payload.get("fingerprint") != key:
        log.warning("%s: checkpoint of another data/config/seed; starting afresh", path)
        return 0, []
    epoch = int(payload["epoch"])
    if epoch > max_epochs:
        log.warning(
            "%s: checkpoint is at epoch %d > epochs=%d; starting afresh", path, epoch, max_epochs
        )
        return 0, []
    try:
        G.load_state_dict(payload["G"])
        D.load_state_dict(payload["D"])
        ema.model.load_state_dict(payload["ema"])
        ema.steps = int(payload["ema_steps"])
        opt_g.load_state_dict(payload["opt_g"])
        opt_d.load_state_dict(payload["opt_d"])
        gen.set_state(payload["rng_loop"])
        torch.set_rng_state(payload["rng_torch"])
        if payload["rng_cuda"] and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(payload["rng_cuda"])
        if np_rng is not None and payload["rng_numpy"]:
            np_rng.bit_generator.state = json.loads(payload["rng_numpy"])
        rows = json.loads(payload["history"])
    except (KeyError, RuntimeError, ValueError, TypeError) as err:
        raise InvalidDataError(
            f"{path}: checkpoint is damaged ({type(err).__name__}: {str(err)[:120]}); delete it"
            " to train afresh"
        ) from None
    log.info("resumed from checkpoint %s at epoch %d of %d", path, epoch, max_epochs)
    # and one line a user sees wherever the fit runs: a WARNING reaches stderr even where no
    # logging is set up (the flow's fit processes), where the INFO line above is dropped
    log.warning("augment: resumed %s from epoch %d", path.stem, epoch)
    return epoch, rows
