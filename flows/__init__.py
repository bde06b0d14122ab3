"""Prefect flows over the `augment` library (packaged so the `augment` CLI can run them)."""

from flows.augmentation import augmentation_flow

__all__ = ["augmentation_flow"]
