"""What the two conditional GANs share beyond torch plumbing: label checks, rebuilding a saved
model's generator."""

from __future__ import annotations

from typing import Any

import numpy as np
from torch import nn

from augment.exceptions import InvalidDataError
from augment.gan.history import History
from augment.torchutil import make_generators, resolve_device


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


def attach_generator(model: Any, G: nn.Module, meta: dict, state: dict, device: str) -> Any:
    """Finish a model rebuilt by ``from_meta``: saved weights into ``G`` on ``device``, the
    training history, and a sampling RNG from the saved ``random_state``."""
    G.load_state_dict(state)
    model.device_ = resolve_device(device)
    model.generator_ = G.to(model.device_).eval()
    model.history_ = History(meta["history"])
    model.noise_dim_ = int(meta["config"]["noise_dim"])
    model._rng, _ = make_generators(model.random_state)
    return model
