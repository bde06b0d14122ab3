"""`LabeledDataset`: features, integer labels, class names and the schema the models need."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class LabeledDataset:
    """A labelled table or image set.

    Attributes
    ----------
    name : str
        Where it came from (path or ``builtin:NAME``).
    X : pandas.DataFrame or numpy.ndarray
        Tables: a DataFrame of feature columns. Images: float32 array ``(N, C, H, W)`` in [0, 1].
    y : numpy.ndarray
        Integer class codes ``0..K-1`` (index into ``class_names``), shape ``(N,)``.
    class_names : list of str
        Human-readable class names, in code order.
    kind : {"table", "image"}
    continuous, discrete : list of str
        Tables only: feature columns treated as continuous / discrete.
    label : str
        Name of the label column (tables) or ``"class"`` (images).
    demo_imbalance : list of str
        Classes a demo reduces when asked for the dataset's default induced imbalance.
    missing : {"error", "drop", "impute"}
        How missing feature values were handled; ``"impute"`` leaves NaN for `make_splits`.
    """

    name: str
    X: pd.DataFrame | np.ndarray
    y: np.ndarray
    class_names: list[str]
    kind: Literal["table", "image"]
    continuous: list[str] = field(default_factory=list)
    discrete: list[str] = field(default_factory=list)
    label: str = "class"
    demo_imbalance: list[str] = field(default_factory=list)
    missing: str = "error"

    def __len__(self) -> int:
        return len(self.y)

    @property
    def n_classes(self) -> int:
        return len(self.class_names)

    @property
    def image_shape(self) -> tuple[int, int, int] | None:
        """``(C, H, W)`` for image sets, ``None`` for tables."""
        return tuple(self.X.shape[1:]) if self.kind == "image" else None

    def subset(self, index: np.ndarray) -> LabeledDataset:
        """Rows ``index`` (integer positions) as a new dataset with the same schema."""
        index = np.asarray(index)
        X = self.X.iloc[index].reset_index(drop=True) if self.kind == "table" else self.X[index]
        return replace(self, X=X, y=self.y[index])

    def class_counts(self) -> dict[str, int]:
        """Rows per class name, every class listed (0 where absent)."""
        counts = np.bincount(self.y, minlength=self.n_classes)
        return {name: int(c) for name, c in zip(self.class_names, counts, strict=True)}

    def features_2d(self) -> np.ndarray:
        """Images flattened to ``(N, C*H*W)``; tables are returned unchanged by callers instead."""
        assert self.kind == "image", "features_2d is for image sets"
        return self.X.reshape(len(self.X), -1)

    def content_hash(self) -> str:
        """SHA-256 of features and labels: identifies the data a run was trained on."""
        h = hashlib.sha256()
        if self.kind == "table":
            h.update(pd.util.hash_pandas_object(self.X, index=False).to_numpy().tobytes())
            h.update(",".join(self.X.columns).encode())
        else:
            h.update(np.ascontiguousarray(self.X).tobytes())
        h.update(self.y.astype(np.int64).tobytes())
        h.update("\x1f".join(self.class_names).encode())
        return h.hexdigest()


def encode_labels(values: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Map label values to codes ``0..K-1``; a class is a distinct string form of a value.

    Numeric labels keep numeric order (2 before 10), others sort as text. Values that differ but
    print the same (``1`` and ``"1"``) are one class; values that compare equal but print
    differently (``0`` and ``False``) are two, so every row gets a code.
    """
    values = pd.Series(values).reset_index(drop=True)
    as_str = values.astype(str)
    firsts = pd.DataFrame({"s": as_str, "v": values}).drop_duplicates("s")
    numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
    names = (firsts.sort_values("v", kind="stable") if numeric else firsts.sort_values("s"))[
        "s"
    ].tolist()
    codes = pd.Categorical(as_str, categories=names).codes.astype(np.int64)
    return codes, names
