"""GAN fits shared between the arms of one fold: same inputs, same GAN, fitted once.

The suite's ``gan`` arm and a variant that tunes per classifier (``tune_estimator=classifier``)
fit identical GANs: the same training rows, settings and seed give the same weights (torch on
CPU is deterministic here). `SharedFitsOverSampler` keeps the last few fitted GANs of the
process by those inputs, so the tuned variant's final GAN is the ``gan`` arm's and its inner
GANs are fitted once for both classifiers. The rows returned are the ones an unshared fit gives.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from typing import Any

import numpy as np
import pandas as pd

from augment.sampler import ConditionalGANOverSampler

KEEP = 16  # fitted GANs kept per process (a fold's arms need ~6)
_FITS: OrderedDict[str, Any] = OrderedDict()


def _key(cfg: Any, discrete: Any, frame: pd.DataFrame, y: np.ndarray, seed: int) -> str:
    digest = hashlib.sha256()
    digest.update(repr((cfg, None if discrete is None else list(discrete), seed)).encode())
    digest.update(repr(list(map(str, frame.columns))).encode())
    digest.update(repr([str(t) for t in frame.dtypes]).encode())
    digest.update(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes())
    digest.update(np.asarray(y).tobytes())
    return digest.hexdigest()


class SharedFitsOverSampler(ConditionalGANOverSampler):
    """`ConditionalGANOverSampler` whose GAN fits are shared within the process (see module)."""

    def _fit_gan(self, cfg, discrete, frame, y, seed):
        key = _key(cfg, discrete, frame, y, seed)
        if key in _FITS:
            _FITS.move_to_end(key)
            return _FITS[key]
        gan = super()._fit_gan(cfg, discrete, frame, y, seed)
        _FITS[key] = gan
        while len(_FITS) > KEEP:
            _FITS.popitem(last=False)
        return gan
