"""Is the generator copying its training rows? Distance to closest record (DCR), per class.

For each class, the distance from every synthetic row to its closest *training* row of that
class is compared with the same distance for real rows the generator never saw (the test
split): ``ratio = median DCR(synthetic) / median DCR(held-out real)``. About 1 means synthetic
rows are as far from the training rows as new real data is; well below 1 means they sit on top
of training rows, which is memorisation (rare classes of 13-50 rows are where it happens).
Exact copies (distance 0) are counted too. Tables are compared on standardised numbers and
one-hot categories (`augment.selection`), images on pixels.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
from sklearn.neighbors import NearestNeighbors

from augment.data import LabeledDataset
from augment.selection import RowSpace

log = logging.getLogger(__name__)

COPYING_RATIO = 0.5  # a class whose ratio is below this is reported as being copied


def _points(data: LabeledDataset, X: Any, space: Any) -> np.ndarray:
    if data.kind == "table":
        return space.points(X)
    return np.asarray(X, dtype=np.float64).reshape(len(X), -1)


def memorisation(
    train: LabeledDataset, holdout: LabeledDataset, synthetic: Any, y_synthetic: np.ndarray
) -> dict[str, Any]:
    """``{"per_class": {name: {...}}, "copying": [names], "threshold": COPYING_RATIO}``.

    Per class with synthetic rows: ``n_synthetic``, ``dcr_synthetic_median``,
    ``dcr_holdout_median``, ``ratio`` (None without held-out rows of the class) and
    ``exact_copies`` (synthetic rows equal to a training row).
    """
    from augment.leakage import row_keys

    space = RowSpace(train.X) if train.kind == "table" else None
    train_raw = train.X if train.kind == "table" else train.features_2d()
    T = _points(train, train_raw, space)
    H = _points(holdout, holdout.X if holdout.kind == "table" else holdout.features_2d(), space)
    S = _points(train, synthetic, space) if len(y_synthetic) else np.zeros((0, T.shape[1]))
    y_syn = np.asarray(y_synthetic)
    syn_keys = np.asarray(row_keys(synthetic) if len(y_syn) else [], dtype=object)
    per_class: dict[str, Any] = {}
    copying = []
    for code in np.unique(y_syn):
        own = train.y == code
        if not own.any():
            continue
        own_keys = set(row_keys(_take(train_raw, own)))
        nn = NearestNeighbors(n_neighbors=1).fit(T[own])
        d_syn = nn.kneighbors(S[y_syn == code], return_distance=True)[0][:, 0]
        held = H[holdout.y == code]
        d_hold = nn.kneighbors(held)[0][:, 0] if len(held) else np.zeros(0)
        hold_median = float(np.median(d_hold)) if len(d_hold) else None
        syn_median = float(np.median(d_syn))
        ratio = syn_median / hold_median if hold_median else None
        name = train.class_names[int(code)]
        per_class[name] = {
            "n_synthetic": int(len(d_syn)),
            "dcr_synthetic_median": syn_median,
            "dcr_holdout_median": hold_median,
            "ratio": ratio,
            "exact_copies": int(sum(k in own_keys for k in syn_keys[y_syn == code])),
        }
        if ratio is not None and ratio < COPYING_RATIO:
            copying.append(name)
            log.warning(
                "class %r: synthetic rows sit closer to training rows than new real rows do "
                "(DCR ratio %.2f < %.2f, %d exact copies of %d): the generator may be copying "
                "its training rows",
                name,
                ratio,
                COPYING_RATIO,
                per_class[name]["exact_copies"],
                len(d_syn),
            )
    return {"per_class": per_class, "copying": copying, "threshold": COPYING_RATIO}


def _take(X: Any, mask: np.ndarray) -> Any:
    return X[mask] if not hasattr(X, "iloc") else X.iloc[np.flatnonzero(mask)]
