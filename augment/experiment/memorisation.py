"""Is the generator copying its training rows? Distance to closest record (DCR), per class.

For each class, the distance from every synthetic row to its closest *training* row of that
class is compared with the same distance for real rows the generator never saw (the test
split): ``ratio = median DCR(synthetic) / median DCR(held-out real)``. About 1 means synthetic
rows are as far from the training rows as new real data is; well below 1 means they sit on top
of training rows, which is memorisation (rare classes of 13-50 rows are where it happens).
Exact copies (distance 0) are counted too. Tables are compared on standardised numbers and
one-hot categories (`augment.selection`), images on pixels.

A low ratio alone is not taken as copying, since real data can sit on its own training rows:

- a class with fewer than `MIN_SYNTHETIC_ROWS` synthetic rows is not judged (one row's distance
  says nothing);
- when most synthetic rows are exact copies (the synthetic median is 0), the copies are judged
  against the data's own duplicate rate, the share of held-out rows equal to a training row
  (``holdout_exact_share``): copying needs `EXCESS_COPIES` more than that. And on a table whose
  every attribute combination exists (categories, integer codes) any valid row is a copy of
  some real row: a generator that also makes held-out rows it never saw, per real row at least
  `UNSEEN_RATE` times as often as it makes training rows (``unseen_matches``), is generalising,
  not copying.
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
MIN_SYNTHETIC_ROWS = 10  # fewer synthetic rows of a class: its ratio is not judged
EXCESS_COPIES = 0.25  # exact-copy share above the held-out rows' own duplicate share: copying
UNSEEN_RATE = 0.25  # held-out rows made per row, vs training rows made per row: generalising


def _points(data: LabeledDataset, X: Any, space: Any) -> np.ndarray:
    if data.kind == "table":
        return space.points(X)
    return np.asarray(X, dtype=np.float64).reshape(len(X), -1)


def memorisation(
    train: LabeledDataset, holdout: LabeledDataset, synthetic: Any, y_synthetic: np.ndarray
) -> dict[str, Any]:
    """``{"per_class": {name: {...}}, "copying": [names], "threshold": COPYING_RATIO,
    "min_synthetic_rows": MIN_SYNTHETIC_ROWS}``.

    Per class with synthetic rows: ``n_synthetic``, ``dcr_synthetic_median``,
    ``dcr_holdout_median``, ``ratio`` (None without held-out rows of the class),
    ``exact_copies`` (synthetic rows equal to a training row), ``holdout_exact_share`` (share
    of the held-out rows equal to a training row: the data's own duplicate rate; None without
    held-out rows) and ``unseen_matches`` (synthetic rows equal to a held-out row that no
    training row equals). See the module docstring for when a class counts as copied.
    """
    from augment.experiment.leakage import row_keys

    space = RowSpace(train.X) if train.kind == "table" else None
    train_raw = train.X if train.kind == "table" else train.features_2d()
    hold_raw = holdout.X if holdout.kind == "table" else holdout.features_2d()
    T = _points(train, train_raw, space)
    H = _points(holdout, hold_raw, space)
    S = _points(train, synthetic, space) if len(y_synthetic) else np.zeros((0, T.shape[1]))
    y_syn = np.asarray(y_synthetic)
    syn_keys = np.asarray(row_keys(synthetic) if len(y_syn) else [], dtype=object)
    hold_keys = np.asarray(row_keys(hold_raw) if len(holdout) else [], dtype=object)
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
        held_keys = hold_keys[holdout.y == code]
        unseen_keys = {k for k in held_keys if k not in own_keys}
        mine = syn_keys[y_syn == code]
        name = train.class_names[int(code)]
        per_class[name] = stats = {
            "n_synthetic": int(len(d_syn)),
            "dcr_synthetic_median": syn_median,
            "dcr_holdout_median": hold_median,
            "ratio": ratio,
            "exact_copies": int(sum(k in own_keys for k in mine)),
            "holdout_exact_share": (
                float(np.mean([k in own_keys for k in held_keys])) if len(held_keys) else None
            ),
            "unseen_matches": int(sum(k in unseen_keys for k in mine)),
        }
        if _copying(stats, n_train=len(own_keys), n_unseen=len(unseen_keys)):
            copying.append(name)
            log.warning(
                "class %r: synthetic rows sit closer to training rows than new real rows do "
                "(DCR ratio %.2f < %.2f, %d exact copies of %d; held-out real rows equal a "
                "training row %.0f%% of the time): the generator may be copying its training rows",
                name,
                ratio,
                COPYING_RATIO,
                stats["exact_copies"],
                len(d_syn),
                100 * (stats["holdout_exact_share"] or 0.0),
            )
    return {
        "per_class": per_class,
        "copying": copying,
        "threshold": COPYING_RATIO,
        "min_synthetic_rows": MIN_SYNTHETIC_ROWS,
    }


def _copying(stats: dict[str, Any], n_train: int, n_unseen: int) -> bool:
    """One class's verdict from its statistics (see the module docstring)."""
    n = stats["n_synthetic"]
    if n < MIN_SYNTHETIC_ROWS or stats["ratio"] is None or stats["ratio"] >= COPYING_RATIO:
        return False
    copies = stats["exact_copies"] / n
    if copies < 0.5:  # the median is a near copy, not an exact one: the ratio stands
        return True
    if copies <= stats["holdout_exact_share"] + EXCESS_COPIES:
        return False  # no more copies than new real rows are
    # per distinct real row: how often the generator made a held-out row vs a training row
    unseen_rate = stats["unseen_matches"] / n_unseen if n_unseen else 0.0
    return unseen_rate < UNSEEN_RATE * stats["exact_copies"] / max(n_train, 1)


def _take(X: Any, mask: np.ndarray) -> Any:
    return X[mask] if not hasattr(X, "iloc") else X.iloc[np.flatnonzero(mask)]
