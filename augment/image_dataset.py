"""`SyntheticImageDataset`: class-balanced generated images as a ``torch.utils.data.Dataset``.

From a fitted `augment.ImageCGAN` or a logged generator (``runs:/<id>/generator``,
``models:/<name>@current``), ready to concatenate with a real dataset::

    synthetic = SyntheticImageDataset.from_uri("models:/augment-generator@current", per_class=500)
    train = torch.utils.data.ConcatDataset([real_train, synthetic])

Items are ``(image, label)``: a float tensor (C, H, W) in [0, 1] (after ``transform``, if given)
and the class's index in ``classes``. The images are generated once, seeded, when the dataset
is made: the same arguments give the same dataset.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset

from augment.exceptions import InvalidDataError


class SyntheticImageDataset(Dataset):
    """``per_class`` generated images of every class (or ``counts={class: n}``)."""

    def __init__(
        self,
        generator: Any,
        per_class: int | None = None,
        counts: dict[Any, int] | None = None,
        random_state: int = 0,
        transform: Callable[[torch.Tensor], Any] | None = None,
        classes: list | None = None,
    ) -> None:
        if getattr(generator, "kind", None) != "image":
            raise InvalidDataError("SyntheticImageDataset needs an image generator (ImageCGAN)")
        known = list(generator.classes_)
        self.classes = list(classes) if classes is not None else known
        if (per_class is None) == (counts is None):
            raise InvalidDataError("give exactly one of per_class and counts")
        if counts is None:
            if per_class < 0:
                raise InvalidDataError(f"per_class must be >= 0, got {per_class}")
            counts = {c: per_class for c in known}
        unknown = [c for c in counts if c not in known]
        if unknown:
            raise InvalidDataError(f"unknown class(es) {unknown}; the generator knows {known}")
        images, labels = [], []
        for i, (cls, n) in enumerate(counts.items()):
            if n > 0:
                images.append(generator.sample(int(n), cls, random_state=random_state + i))
                labels.append(np.full(int(n), known.index(cls), dtype=np.int64))
        shape = (0, *getattr(generator, "image_shape_", (1, 1, 1)))
        pixels = np.concatenate(images) if images else np.zeros(shape, np.float32)
        self.images = torch.from_numpy(pixels)
        self.labels = torch.from_numpy(np.concatenate(labels) if labels else np.zeros(0, np.int64))
        self.transform = transform

    @classmethod
    def from_uri(cls, model_uri: str, **kwargs) -> SyntheticImageDataset:
        """From a generator logged by `augment run` (its class names become ``classes``)."""
        from augment.tracking import load_generator, load_tracking_config

        loaded, meta = load_generator(model_uri, load_tracking_config())
        if meta["kind"] != "image":
            raise InvalidDataError(f"{model_uri} is a {meta['kind']} generator, not an image one")
        gan = loaded.model.model  # the predictor's pyfunc model holds the fitted ImageCGAN
        return cls(gan, classes=kwargs.pop("classes", meta["class_names"]), **kwargs)

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int):
        image = self.images[i]
        return (self.transform(image) if self.transform else image), int(self.labels[i])
