"""What makes a fitted GAN reusable: a cache key over (data, split, GAN config, code version).

Prefect caches the fit task on this key (persisted results in ``orchestration.cache_dir``); the
fitted GAN itself lives beside it as ``models/<key>.pt`` (`augment.gan.persist`), so tasks pass
a path, never a live model.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path

import augment
from augment.config import DataConfig, GANConfig

# the library code a fitted GAN depends on: the data layer, the transforms, the GANs themselves
_CODE_DIRS = ("data", "transform", "gan")
_CODE_FILES = ("experiment.py",)


@lru_cache(maxsize=1)
def code_version() -> str:
    """SHA-256 over the package version and the source files that shape a fitted GAN."""
    root = Path(augment.__file__).parent
    files = sorted(f for d in _CODE_DIRS for f in (root / d).glob("*.py"))
    files += [root / f for f in _CODE_FILES]
    h = hashlib.sha256(augment.__version__.encode())
    for f in files:
        h.update(f.relative_to(root).as_posix().encode())
        h.update(f.read_bytes())
    return h.hexdigest()[:16]


def gan_cache_key(data_hash: str, data_cfg: DataConfig, gan_cfg: GANConfig) -> str:
    """Key of the fitted GAN: dataset content, how it is split/reduced, the GAN config, code."""
    parts = {
        "data": data_hash,
        "split": data_cfg.model_dump(mode="json", exclude={"source", "label"}),
        "gan": gan_cfg.model_dump(mode="json"),
        "code": code_version(),
    }
    blob = json.dumps(parts, sort_keys=True).encode()
    return "gan-" + hashlib.sha256(blob).hexdigest()[:32]


def cache_paths(cache_dir: str | Path, key: str) -> tuple[Path, Path]:
    """``(results dir for Prefect, model file)`` under an absolute cache dir (created)."""
    root = Path(cache_dir).expanduser().resolve()
    (root / "models").mkdir(parents=True, exist_ok=True)
    (root / "results").mkdir(parents=True, exist_ok=True)
    return root / "results", root / "models" / f"{key}.pt"
