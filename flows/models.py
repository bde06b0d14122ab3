"""Fitted generators as the flow uses them: saved under the cache, loaded once per process."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from augment.experiment.preflight import GeneratorSpec
from augment.gan.persist import load_model

_LOCK = threading.Lock()
_LOADED: dict[tuple[str, int, int], Any] = {}
_KEEP = 8  # models kept per process (a run uses K; a scheduled server runs many)


def loaded(path: str) -> Any:
    """The model saved at ``path``, loaded on CPU once per process (and again only when the file
    changes). Tasks receive paths, so a Dask worker process loads each model once too."""
    st = Path(path).stat()
    key = (str(Path(path).resolve()), st.st_mtime_ns, st.st_size)
    with _LOCK:
        if key not in _LOADED:
            if len(_LOADED) >= _KEEP:
                _LOADED.pop(next(iter(_LOADED)))
            _LOADED[key] = load_model(path, device="cpu")
        return _LOADED[key]


@dataclass(frozen=True)
class Fitted:
    """One generator of the run, fitted or taken from the cache."""

    spec: GeneratorSpec
    path: str  # its weights-only file under the cache dir
    cached: bool  # taken from the cache (not trained by this run)

    @property
    def model(self) -> Any:
        return loaded(self.path)


def generator_for(seed: int, fitted: list[Fitted]) -> Fitted:
    """Paired design: classifier seed ``seed`` of a GAN arm uses generator ``seed mod K``."""
    from augment.experiment.pairing import generator_of

    return fitted[generator_of(seed, len(fitted))]
