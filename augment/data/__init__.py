"""Data layer: load tables, image folders and built-ins into a `LabeledDataset`; split them."""

from __future__ import annotations

from dataclasses import replace
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
from augment.data.tabular import check_discrete, dataset_from_frame, load_table
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
    source: str | Path,
    label: str | None = None,
    missing: str = "error",
    min_class_rows: int = 0,
    discrete: list[str] | None = None,
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
    discrete : list of str, optional
        Tables: numeric columns to treat as categories (with text and boolean ones); None: a
        file's integer columns that look like category codes (built-ins: as they are).

    Raises
    ------
    InvalidDataError
        The source is missing, unreadable, or unusable (message names what and why).
    """
    text = str(source)
    if text.startswith("builtin:"):
        data = load_builtin(text.split(":", 1)[1])
        return data if discrete is None else with_discrete(data, discrete)
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
    return load_table(path, label, missing, min_class_rows, discrete)


def with_discrete(data: LabeledDataset, discrete: list[str]) -> LabeledDataset:
    """A table with ``discrete`` numeric columns made categories (text and booleans stay)."""
    if data.kind != "table":
        raise InvalidDataError(f"{data.name}: data.discrete is for tables; this is an image set")
    check_discrete(list(data.X.columns), discrete, data.name, data.label)
    cats = [c for c in data.X.columns if c in data.discrete or c in discrete]
    rest = [c for c in data.continuous if c not in cats]
    return replace(data, continuous=rest, discrete=cats)
