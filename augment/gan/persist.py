"""Save and load fitted conditional GANs as one file: weights + JSON metadata + the SHA-256 of
both.

Loading uses ``torch.load(..., weights_only=True)``: a file can hold tensors and strings only,
never pickled code, so a tampered or foreign file fails with a clear error instead of running.
It then verifies the recorded SHA-256 (`augment.torchutil.load_weights_only`): a damaged file
raises `IntegrityError` instead of sampling from flipped weights.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch

from augment.atomic import atomic_write
from augment.exceptions import InvalidDataError
from augment.torchutil import cpu_state, load_weights_only, seal

FORMAT = "augment-cgan/1"


def model_payload(model: Any) -> dict[str, Any]:
    """What `save_model` writes for a fitted model: format, kind, JSON meta, CPU weights."""
    if not hasattr(model, "generator_"):
        raise RuntimeError(f"{type(model).__name__} is not fitted; nothing to save")
    return {
        "format": FORMAT,
        "kind": model.kind,
        "meta": json.dumps(model.get_meta()),
        "generator": cpu_state(model.generator_),
    }


def save_payload(payload: dict[str, Any], path: str | Path) -> Path:
    """Write a `model_payload` and its SHA-256 to ``path`` atomically (temp file + rename)."""
    sealed = seal(payload)
    return atomic_write(Path(path), lambda tmp: torch.save(sealed, tmp))


def save_model(model: Any, path: str | Path) -> Path:
    """Write a fitted `TabularCGAN` or `ImageCGAN` to ``path`` atomically (temp file + rename)."""
    return save_payload(model_payload(model), path)


def load_model(path: str | Path, device: str = "auto") -> Any:
    """Load a model written by `save_model`.

    `InvalidDataError` if the file is not one; `augment.exceptions.IntegrityError` if its
    contents do not match the SHA-256 it records (or it records none).
    """
    from augment.gan.image import ImageCGAN
    from augment.gan.tabular import TabularCGAN

    path = Path(path)
    if not path.is_file():
        raise InvalidDataError(f"{path}: no such model file")
    payload = load_weights_only(path, FORMAT, "model file")
    classes = {"tabular": TabularCGAN, "image": ImageCGAN}
    cls = classes.get(payload.get("kind"))
    if cls is None:
        raise InvalidDataError(f"{path}: unknown model kind {payload.get('kind')!r}")
    try:
        return cls.from_meta(json.loads(payload["meta"]), payload["generator"], device)
    except (KeyError, RuntimeError, ValueError, TypeError) as err:
        raise InvalidDataError(f"{path}: model file is damaged ({type(err).__name__})") from None
