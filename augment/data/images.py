"""Load labelled image folders laid out ``root/<class>/<image>``."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from augment.data.dataset import LabeledDataset
from augment.data.tabular import check_labels
from augment.exceptions import InvalidDataError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
FORMATS = ("PNG", "JPEG")  # what PIL may decode, whatever the suffix says
MAX_SIDE = 4096
MAX_PIXELS = MAX_SIDE * MAX_SIDE  # per image, checked from the header before decoding
# PIL modes of 8- and 16-bit PNG / JPEG images: gray, colour, with alpha or a palette
MODES = ("1", "L", "LA", "P", "PA", "RGB", "RGBA", "CMYK", "YCbCr", "I", "I;16", "I;16B", "I;16L")
_TOO_BIG = f"at most {MAX_PIXELS} pixels ({MAX_SIDE}x{MAX_SIDE}) per image are allowed"


def _scale_16bit(raw: np.ndarray, path: Path) -> np.ndarray:
    """16-bit grayscale to uint8 by its bit depth (65535 -> 255), not by clipping."""
    if raw.size and (raw.min() < 0 or raw.max() > 65535):
        raise InvalidDataError(
            f"{path}: 32-bit image values outside 0..65535; only 8- and 16-bit images are allowed"
        )
    return np.round(raw.astype(np.float64) * (255.0 / 65535.0)).astype(np.uint8)


def _open_header(path: Path) -> Image.Image:
    """``path`` opened by PIL, which reads only the header: its size and mode are checked here,
    before any pixel is decoded (a small file can claim 30000 x 30000 pixels)."""
    try:
        with warnings.catch_warnings():  # PIL warns, then raises, above its own bomb limit
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(path, formats=FORMATS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as err:
        found = re.search(r"\((\d+) pixels\)", str(err))
        size = f"{found.group(1)} pixels" if found else "more pixels than PIL decodes"
        raise InvalidDataError(f"{path}: image of {size}; {_TOO_BIG}") from None
    except UnidentifiedImageError:
        raise InvalidDataError(
            f"{path}: unreadable or corrupt image: not a {' or '.join(FORMATS)} file"
        ) from None
    width, height = img.size
    if width * height > MAX_PIXELS:
        img.close()
        raise InvalidDataError(f"{path}: image of {width}x{height} pixels; {_TOO_BIG}")
    if img.mode not in MODES:
        img.close()
        raise InvalidDataError(
            f"{path}: image mode {img.mode!r} is not allowed; 8- or 16-bit gray or colour images"
            f" are (PIL modes {', '.join(MODES)})"
        )
    return img


def _read_image(path: Path) -> np.ndarray:
    """One image as uint8 ``(C, H, W)``: grayscale stays 1 channel, everything else becomes RGB."""
    try:
        with _open_header(path) as img:
            img.load()
            if img.mode.startswith("I"):  # 16/32-bit grayscale: convert("L") would clip at 255
                arr = _scale_16bit(np.asarray(img), path)
            else:
                mode = "L" if img.mode in ("L", "1", "LA") else "RGB"
                arr = np.asarray(img.convert(mode), dtype=np.uint8)
    except (OSError, ValueError, EOFError, SyntaxError) as err:
        if isinstance(err, InvalidDataError):
            raise
        raise InvalidDataError(
            f"{path}: unreadable or corrupt image ({type(err).__name__})"
        ) from None
    return arr[None] if arr.ndim == 2 else arr.transpose(2, 0, 1)


def load_image_folder(root: Path) -> LabeledDataset:
    """Load every PNG/JPEG under ``root/<class>/`` as one float32 ``(N, C, H, W)`` in [0, 1].

    All images must share one size and channel count (mixed sets are rejected, not resized,
    so nothing is silently distorted).
    """
    class_dirs = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not class_dirs:
        raise InvalidDataError(
            f"{root}: no class subfolders; expected images laid out as {root}/<class>/<image>.png"
        )
    arrays, labels, names = [], [], []
    first_shape: tuple[int, ...] | None = None
    first_path: Path | None = None
    for code, d in enumerate(class_dirs):
        files = sorted(p for p in d.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        names.append(d.name)
        for f in files:
            if not f.is_file():  # a FIFO would block the reader; a device never ends
                raise InvalidDataError(f"{f}: not a regular file; an image must be a PNG/JPEG file")
            arr = _read_image(f)
            if first_shape is None:
                first_shape, first_path = arr.shape, f
            elif arr.shape != first_shape:
                raise InvalidDataError(
                    f"{f}: image shape (C, H, W)={arr.shape} differs from {first_shape} of "
                    f"{first_path}; all images must have one size and channel count"
                )
            arrays.append(arr)
            labels.append(code)
    if not arrays:
        raise InvalidDataError(
            f"{root}: no images found (allowed: {', '.join(IMAGE_SUFFIXES)}) in its class folders"
        )
    y = np.asarray(labels, dtype=np.int64)
    check_labels(y, names, str(root), "class folder")
    X = np.stack(arrays).astype(np.float32) / 255.0
    return LabeledDataset(name=str(root), X=X, y=y, class_names=names, kind="image")
