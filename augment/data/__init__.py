"""Data layer: load tables, image folders and built-ins into a `LabeledDataset`; split them."""

from __future__ import annotations

from pathlib import Path

from augment.data.builtin import BUILTINS, load_builtin
from augment.data.dataset import LabeledDataset
from augment.data.images import load_image_folder
from augment.data.missing import MISSING_POLICIES, impute_splits
from augment.data.split import (
    Splits,
    drop_rare_classes,
    induce_imbalance,
    make_splits,
    split_dataset,
)
from augment.data.tabular import dataset_from_frame, load_table
from augment.exceptions import InvalidDataError

__all__ = [
    "BUILTINS",
    "LabeledDataset",
    "Splits",
    "MISSING_POLICIES",
    "dataset_from_frame",
    "drop_rare_classes",
    "impute_splits",
    "induce_imbalance",
    "load_dataset",
    "make_splits",
    "split_dataset",
]


def load_dataset(
    source: str | Path, label: str | None = None, missing: str = "error", min_class_rows: int = 0
) -> LabeledDataset:
    """Load a labelled dataset.

    Parameters
    ----------
    source : str or Path
        ``builtin:NAME``, a CSV/TSV/Parquet file, or an image folder ``root/<class>/<image>``.
    label : str, optional
        The class column of a table (required for files; built-ins know theirs).
    missing : {"error", "drop", "impute"}
        Tables: what to do with missing / infinite feature values (see `augment.data.missing`).
    min_class_rows : int
        Tables: a class of one row is accepted when it has fewer than this many rows (it is
        dropped by `make_splits` with the same ``min_class_rows``).

    Raises
    ------
    InvalidDataError
        The source is missing, unreadable, or unusable (message names what and why).
    """
    text = str(source)
    if text.startswith("builtin:"):
        return load_builtin(text.split(":", 1)[1])
    path = Path(source)
    if not path.exists():
        raise InvalidDataError(f"{path}: no such file or directory")
    if path.is_dir():
        if label is not None:
            raise InvalidDataError(
                f"{path} is an image folder: its classes are its subfolders; drop --label"
                f" {label!r} (data.label), which is for tables"
            )
        return load_image_folder(path)
    return load_table(path, label, missing, min_class_rows)
