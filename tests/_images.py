"""Tiny image folders on disk (``root/<class>/<i>.png``), shared by the loader, CLI and
bad-input tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image


def png_folder(root: Path, spec: dict[str, list[tuple[int, ...]]], step: int = 30) -> Path:
    """One flat uint8 PNG per shape in ``spec[class]`` ((H, W) gray, (H, W, 3) RGB); image i of
    a class has every pixel ``step * i % 256``. Folders are created as needed."""
    for cls, shapes in spec.items():
        (root / cls).mkdir(parents=True, exist_ok=True)
        for i, shape in enumerate(shapes):
            pixels = np.full(shape, (step * i) % 256, np.uint8)
            Image.fromarray(pixels).save(root / cls / f"{i}.png")
    return root
