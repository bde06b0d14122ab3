"""Invertible encodings between user data and the GANs' tensors."""

from augment.transform.tabular import Span, TabularTransformer

__all__ = ["Span", "TabularTransformer"]
