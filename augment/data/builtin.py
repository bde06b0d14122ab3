"""Built-in datasets from scikit-learn's bundled copies (no download at run time)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from sklearn import datasets as skd

from augment.data.dataset import LabeledDataset
from augment.exceptions import InvalidDataError


def _digits() -> LabeledDataset:
    bunch = skd.load_digits()
    X = (bunch.images.astype(np.float32) / 16.0)[:, None]  # (N, 1, 8, 8) in [0, 1]
    return LabeledDataset(
        name="builtin:digits",
        X=X,
        y=bunch.target.astype(np.int64),
        class_names=[str(c) for c in bunch.target_names],
        kind="image",
        demo_imbalance=["5", "6", "7", "8", "9"],
    )


def _table(loader: Callable, name: str, minority: list[str]) -> LabeledDataset:
    bunch = loader(as_frame=True)
    X = bunch.data.reset_index(drop=True)
    X.columns = [str(c) for c in X.columns]
    return LabeledDataset(
        name=f"builtin:{name}",
        X=X,
        y=bunch.target.to_numpy().astype(np.int64),
        class_names=[str(c) for c in bunch.target_names],
        kind="table",
        continuous=list(X.columns),
        discrete=[],
        label="target",
        demo_imbalance=minority,
    )


BUILTINS: dict[str, tuple[str, Callable[[], LabeledDataset]]] = {
    "digits": (
        "8x8 grayscale handwritten digits, 1797 images, 10 classes (demo: 5-9 reduced)",
        _digits,
    ),
    "breast_cancer": (
        "Wisconsin breast cancer table, 569 rows x 30 continuous features, 2 classes "
        "(demo: malignant reduced)",
        lambda: _table(skd.load_breast_cancer, "breast_cancer", ["malignant"]),
    ),
    "wine": (
        "Wine recognition table, 178 rows x 13 continuous features, 3 classes "
        "(demo: class_2 reduced)",
        lambda: _table(skd.load_wine, "wine", ["class_2"]),
    ),
}


def load_builtin(name: str) -> LabeledDataset:
    """Load ``builtin:NAME``; `InvalidDataError` lists the allowed names otherwise."""
    if name not in BUILTINS:
        raise InvalidDataError(
            f"unknown built-in dataset {name!r}; allowed: "
            + ", ".join(f"builtin:{n}" for n in BUILTINS)
        )
    return BUILTINS[name][1]()
