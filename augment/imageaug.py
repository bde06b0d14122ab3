"""Classical image augmentation (albumentations) for the ``classical`` and ``gan+classical`` arms.

A pipeline is a list of ``{"name": <albumentations transform>, <its parameters>...}`` dicts, so
it lives in the YAML run config and in MLflow params as plain data::

    augmentations:
      - {name: Affine, rotate: [-12, 12], translate_percent: [-0.1, 0.1], scale: [0.9, 1.1], p: 1}
      - {name: GaussNoise, std_range: [0.01, 0.05], p: 0.3}
"""

from __future__ import annotations

import os
import warnings
from typing import Any

import numpy as np

from augment.exceptions import ConfigError

os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")  # it phones home at import otherwise

# small geometric jitter: keeps a digit a digit (no flips: a mirrored 2 is not a 2)
DEFAULT_PIPELINE: list[dict[str, Any]] = [
    {
        "name": "Affine",
        "rotate": [-12, 12],
        "translate_percent": [-0.1, 0.1],
        "scale": [0.9, 1.1],
        "shear": [-8, 8],
        "p": 1.0,
    },
]


def build_pipeline(spec: list[dict[str, Any]] | None, seed: int | None = None):
    """``A.Compose`` from the list-of-dicts spec (``None``: the default); seeded when ``seed``."""
    import albumentations as A

    steps = []
    for i, item in enumerate(DEFAULT_PIPELINE if spec is None else spec):
        params = dict(item)
        name = params.pop("name", None)
        cls = getattr(A, str(name), None)
        if not isinstance(cls, type) or not issubclass(cls, A.BasicTransform):
            raise ConfigError(
                f"augmentations[{i}]: {name!r} is not an albumentations transform "
                "(e.g. Affine, GaussNoise, CoarseDropout, ElasticTransform)"
            )
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                steps.append(cls(**params))
            except (TypeError, ValueError) as err:
                raise ConfigError(f"augmentations[{i}] ({name}): {err}") from None
        bad = [str(w.message) for w in caught if "not valid" in str(w.message)]
        if bad:  # albumentations only warns about unknown arguments; a typo should fail
            raise ConfigError(f"augmentations[{i}] ({name}): {bad[0]}")
    return A.Compose(steps, seed=seed)


def augment_images(X: np.ndarray, pipeline) -> np.ndarray:
    """Apply ``pipeline`` to each image of ``X`` ``(N, C, H, W)`` in [0, 1]; same shape out."""
    out = np.empty_like(X, dtype=np.float32)
    for i, img in enumerate(X):
        hwc = np.ascontiguousarray(img.transpose(1, 2, 0), dtype=np.float32)
        res = pipeline(image=hwc)["image"]
        out[i] = np.clip(res.reshape(hwc.shape).transpose(2, 0, 1), 0.0, 1.0)
    return out


def oversample(
    X: np.ndarray,
    y: np.ndarray,
    plan: dict[int, int],
    spec: list[dict[str, Any]] | None,
    seed: int,
) -> tuple[np.ndarray, np.ndarray]:
    """New augmented images per ``plan = {class code: n}``: each drawn from a real image of its
    class (cycling through a seeded permutation), then transformed. Only the new rows return."""
    rng = np.random.default_rng(seed)
    pipeline = build_pipeline(spec, seed=int(rng.integers(2**31)))
    parts, labels = [], []
    for code, n in sorted(plan.items()):
        rows = np.flatnonzero(y == code)
        if n <= 0 or len(rows) == 0:
            continue
        src = np.resize(rng.permutation(rows), n)  # every real image used about equally
        parts.append(augment_images(X[src], pipeline))
        labels.append(np.full(n, code, dtype=np.int64))
    if not parts:
        return np.zeros((0, *X.shape[1:]), np.float32), np.zeros(0, np.int64)
    return np.concatenate(parts), np.concatenate(labels)
