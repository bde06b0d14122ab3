"""Write generated samples: tables to CSV/Parquet, images to ``root/<class>/`` folders.

Every write is atomic (a temp file or folder beside the target, then a rename), an existing
output is replaced only with ``force=True``, and synthetic samples are always flagged
(``is_synthetic`` column for tables, a ``manifest.csv`` with ``is_synthetic`` for images).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image

from augment.atomic import _umask, atomic_write
from augment.exceptions import ConfigError
from augment.names import unique_file_names

TABLE_FORMATS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}


def _check_target(path: Path, force: bool) -> None:
    if path.exists() and not force:
        raise ConfigError(f"output {path} already exists; pass --force to replace it")
    if not path.parent.resolve().is_dir():
        raise ConfigError(f"output {path}: its folder {path.parent.resolve()} does not exist")
    if not os.access(path.parent.resolve(), os.W_OK):
        raise ConfigError(f"output {path}: its folder {path.parent.resolve()} is not writable")


def check_table_target(path: str | Path, force: bool = False) -> Path:
    """Fail before any sampling when ``path`` has an unknown suffix, exists or is unwritable."""
    path = Path(path)
    if path.suffix.lower() not in TABLE_FORMATS:
        raise ConfigError(
            f"output {path}: unsupported suffix {path.suffix!r} for a table; "
            f"allowed: {', '.join(TABLE_FORMATS)}"
        )
    if path.is_dir():
        raise ConfigError(f"output {path} is a directory; give a .csv or .parquet file name")
    _check_target(path, force)
    return path


def check_folder_target(path: str | Path, force: bool = False) -> Path:
    """Fail before any sampling when the image folder exists (without force) or is unwritable."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise ConfigError(f"output {path} is a file; images are written to a folder")
    if path.suffix.lower() in TABLE_FORMATS:
        raise ConfigError(
            f"output {path}: this generator makes images, written to a folder (one subfolder"
            f" per class); give a folder name, not a {path.suffix} file"
        )
    _check_target(path, force)
    return path


def write_table(df: pd.DataFrame, path: str | Path, force: bool = False) -> Path:
    """``df`` plus an ``is_synthetic=True`` column to CSV or Parquet (by suffix), atomically.
    When ``df`` already has an ``is_synthetic`` column (a feature of the user's table), the flag
    is ``_is_synthetic`` (`augment.names.free_column`): a user's column is never replaced."""
    from augment.names import free_column

    path = check_table_target(path, force)
    out = df.assign(**{free_column("is_synthetic", df.columns): True})
    if TABLE_FORMATS[path.suffix.lower()] == "parquet":
        return atomic_write(path, lambda tmp: out.to_parquet(tmp, index=False))
    return atomic_write(path, lambda tmp: out.to_csv(tmp, index=False))


def _inside(root: Path, path: Path) -> Path:
    """``path``, asserted to resolve to a child of ``root`` (never above or beside it)."""
    assert path.resolve().parent == root.resolve(), f"{path} is not a folder of {root}"
    return path


def write_image_folder(
    images: np.ndarray, labels: list[str], root: str | Path, force: bool = False
) -> Path:
    """Images ``(N, C, H, W)`` in [0, 1] as PNGs under ``root/<label>/``, atomically.

    The folder is built beside ``root`` and renamed into place; an old ``root`` (with force) is
    removed only after the new one is in place. ``manifest.csv`` lists file, class (the label
    as given), is_synthetic. A label that is not a safe folder name (``../x``, ``Type (B)``,
    too long, or equal to another but for case) gets its safe form (`augment.names`).
    """
    root = check_folder_target(root, force)
    tmp = Path(tempfile.mkdtemp(prefix=f".{root.name}.", suffix=".tmp", dir=root.parent))
    try:
        os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp makes it 0700; as a plain mkdir would
        folders = unique_file_names(labels)
        rows = []
        pixels = np.clip(np.rint(images * 255.0), 0, 255).astype(np.uint8)  # (N, C, H, W)
        counters: dict[str, int] = {}
        for img, label in zip(pixels, labels, strict=True):
            i = counters.get(label, 0)
            counters[label] = i + 1
            rel = Path(folders[str(label)]) / f"synthetic_{i:06d}.png"
            if i == 0:
                _inside(tmp, tmp / rel.parent).mkdir()
            arr = img[0] if img.shape[0] == 1 else img.transpose(1, 2, 0)  # (H, W) or (H, W, C)
            Image.fromarray(arr).save(tmp / rel)
            rows.append({"file": rel.as_posix(), "class": label, "is_synthetic": True})
        pd.DataFrame(rows, columns=["file", "class", "is_synthetic"]).to_csv(
            tmp / "manifest.csv", index=False
        )
        old = None
        if root.exists():
            old = root.with_name(f".{root.name}.old-{os.getpid()}")
            os.replace(root, old)
        os.replace(tmp, root)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return root
