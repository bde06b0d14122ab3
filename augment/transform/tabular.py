"""Invertible encoding of a mixed-type table into a float matrix for the tabular GAN.

Continuous columns are scaled to [-1, 1] by their seen range (a tanh output), discrete columns
are one-hot encoded (a softmax output). The list of `Span`s is the only contract with the model.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Span:
    """Columns ``start:end`` of the encoded matrix belonging to one table column."""

    column: str
    start: int
    end: int
    kind: Literal["tanh", "softmax"]


class TabularTransformer:
    """Fit on a DataFrame, ``transform`` to float32 ``(N, D)``, ``inverse_transform`` back."""

    def __init__(self, discrete: list[str] | None = None) -> None:
        self.discrete = discrete

    def fit(self, X: pd.DataFrame) -> TabularTransformer:
        discrete = set(self.discrete if self.discrete is not None else _guess_discrete(X))
        self.columns_ = list(X.columns)
        self.dtypes_ = X.dtypes.to_dict()
        self.spans_: list[Span] = []
        self.ranges_: dict[str, tuple[float, float]] = {}
        self.categories_: dict[str, np.ndarray] = {}
        pos = 0
        for col in self.columns_:
            if col in discrete:
                cats = pd.unique(X[col])
                self.categories_[col] = cats
                self.spans_.append(Span(col, pos, pos + len(cats), "softmax"))
                pos += len(cats)
            else:
                values = X[col].to_numpy(dtype=float)
                self.ranges_[col] = (float(values.min()), float(values.max()))
                self.spans_.append(Span(col, pos, pos + 1, "tanh"))
                pos += 1
        self.output_dim_ = pos
        return self

    def to_dict(self) -> dict:
        """JSON-able fitted state (for saving models without pickle)."""
        return {
            "columns": self.columns_,
            "dtypes": {c: str(d) for c, d in self.dtypes_.items()},
            "spans": [[s.column, s.start, s.end, s.kind] for s in self.spans_],
            "ranges": self.ranges_,
            "categories": {c: v.tolist() for c, v in self.categories_.items()},
            "output_dim": self.output_dim_,
        }

    @classmethod
    def from_dict(cls, state: dict) -> TabularTransformer:
        t = cls()
        t.columns_ = list(state["columns"])
        t.dtypes_ = {c: pd.api.types.pandas_dtype(d) for c, d in state["dtypes"].items()}
        t.spans_ = [Span(*s) for s in state["spans"]]
        t.ranges_ = {c: tuple(r) for c, r in state["ranges"].items()}
        t.categories_ = {c: np.asarray(v, dtype=object) for c, v in state["categories"].items()}
        t.output_dim_ = int(state["output_dim"])
        return t

    def transform(self, X: pd.DataFrame) -> np.ndarray:
        out = np.zeros((len(X), self.output_dim_), dtype=np.float32)
        for span in self.spans_:
            values = X[span.column]
            if span.kind == "tanh":
                lo, hi = self.ranges_[span.column]
                scale = (hi - lo) or 1.0
                out[:, span.start] = 2.0 * (values.to_numpy(dtype=float) - lo) / scale - 1.0
            else:
                cats = self.categories_[span.column]
                codes = pd.Categorical(values, categories=cats).codes
                known = codes >= 0  # unseen categories encode as all zeros
                out[np.flatnonzero(known), span.start + codes[known]] = 1.0
        return out

    def inverse_transform(self, Z: np.ndarray) -> pd.DataFrame:
        data = {}
        for span in self.spans_:
            block = Z[:, span.start : span.end]
            if span.kind == "tanh":
                lo, hi = self.ranges_[span.column]
                values = (np.clip(block[:, 0], -1, 1) + 1.0) / 2.0 * ((hi - lo) or 1.0) + lo
                dtype = self.dtypes_[span.column]
                if pd.api.types.is_integer_dtype(dtype):
                    values = np.rint(values)
                data[span.column] = pd.Series(values).astype(dtype)
            else:
                cats = self.categories_[span.column]
                data[span.column] = pd.Series(cats[block.argmax(axis=1)]).astype(
                    self.dtypes_[span.column]
                )
        return pd.DataFrame(data, columns=self.columns_)


def _guess_discrete(X: pd.DataFrame) -> list[str]:
    return [
        c
        for c in X.columns
        if pd.api.types.is_bool_dtype(X[c]) or not pd.api.types.is_numeric_dtype(X[c])
    ]
