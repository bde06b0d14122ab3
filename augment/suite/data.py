"""The suite's tables: KEEL CSVs (column types from one manifest) and imbalanced built-ins.

Column types are data description, declared here once and never read by the methods: nominal
columns are read as strings, so the GAN, SMOTEN/SMOTENC and the classifiers' encoders treat them
as categories even when the file codes them as digits.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from augment.data.dataset import LabeledDataset, encode_labels
from augment.exceptions import InvalidDataError

#: ``file stem -> nominal feature columns`` ("all" = every feature column), from the
#: "nominal features" column of the KEEL README (``../shared/data/keel/README.md``).
KEEL_NOMINAL: dict[str, str | list[str]] = {
    "flare-F": "all",
    "kr-vs-k-zero_vs_eight": "all",
}

KEEL_LABEL = "label"
#: the built-in demo's induced imbalance: its demo classes keep this share of their rows
#: (``data.imbalance_fraction``'s default), applied to the whole table before CV, fixed seed
BUILTIN_FRACTION = 0.1
BUILTIN_SEED = 0
BUILTIN_TABLES = ("builtin:breast_cancer", "builtin:wine")


@dataclass(frozen=True)
class SuiteTable:
    """One table of the suite.

    Attributes
    ----------
    name : str
        Short name (file stem or ``builtin:NAME``).
    X : pandas.DataFrame
        Feature columns; nominal ones hold strings.
    y : numpy.ndarray
        Integer class codes ``0..K-1``.
    class_names : list of str
    nominal : list of str
        Nominal (categorical) feature columns.
    removed : dict
        Built-ins: ``{"classes", "fraction", "seed", "rows"}`` of the induced imbalance (the
        removed rows are positions in the original table); empty for files.
    """

    name: str
    X: pd.DataFrame
    y: np.ndarray
    class_names: list[str]
    nominal: list[str] = field(default_factory=list)
    removed: dict = field(default_factory=dict)

    @property
    def numeric(self) -> list[str]:
        return [c for c in self.X.columns if c not in self.nominal]

    def describe(self) -> dict:
        """Rows, features, nominal count, classes, class counts (for logs and MLflow params)."""
        counts = np.bincount(self.y, minlength=len(self.class_names))
        return {
            "table": self.name,
            "rows": len(self.y),
            "features": self.X.shape[1],
            "nominal": len(self.nominal),
            "classes": len(self.class_names),
            "smallest_class": int(counts.min()),
            "imbalance_ratio": round(float(counts.max() / counts.min()), 2),
        }


def fold_dataset(
    X: pd.DataFrame, y: np.ndarray, nominal: list[str], class_names: list[str] | None = None
) -> LabeledDataset:
    """Rows of a suite table as the `LabeledDataset` the registry arms and classifiers read.

    Nominal columns are its discrete ones, the others continuous; without ``class_names`` the
    classes are named by their codes ``0..max(y)``.
    """
    names = class_names or [str(c) for c in range(int(np.max(y)) + 1)]
    continuous = [c for c in X.columns if c not in nominal]
    return LabeledDataset(
        "suite fold", X, y, names, "table", continuous=continuous, discrete=list(nominal)
    )


def default_keel_dir() -> Path:
    """``AUGMENT_KEEL_DIR`` if set, else ``../shared/data/keel`` beside the repository."""
    env = os.environ.get("AUGMENT_KEEL_DIR")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[3] / "shared" / "data" / "keel"


def default_tables(keel_dir: str | Path | None = None) -> list[str]:
    """Every CSV in ``keel_dir`` (sorted) followed by the built-in tables."""
    folder = Path(keel_dir) if keel_dir is not None else default_keel_dir()
    return [str(p) for p in sorted(folder.glob("*.csv"))] + list(BUILTIN_TABLES)


def load_suite_table(source: str | Path, label: str = KEEL_LABEL) -> SuiteTable:
    """Load ``builtin:NAME`` (with its demo imbalance) or a CSV whose class column is ``label``.

    Parameters
    ----------
    source : str or Path
        ``builtin:breast_cancer``, ``builtin:wine`` or a CSV path.
    label : str
        Class column of CSV files.

    Raises
    ------
    InvalidDataError
        Missing file or label column, or a table with NaNs.
    """
    text = str(source)
    if text.startswith("builtin:"):
        return _builtin(text)
    path = Path(source)
    if not path.is_file():
        raise InvalidDataError(f"{path}: no such file")
    header = pd.read_csv(path, nrows=0).columns.tolist()
    if label not in header:
        raise InvalidDataError(f"{path}: no label column {label!r}; columns: {header}")
    features = [c for c in header if c != label]
    declared = KEEL_NOMINAL.get(path.stem, [])
    nominal_decl = features if declared == "all" else list(declared)
    df = pd.read_csv(path, dtype={c: str for c in nominal_decl})
    X = df[features].reset_index(drop=True)
    # text columns are nominal whatever the manifest says
    nominal = [c for c in features if c in nominal_decl or not _is_numeric(X[c])]
    X = X.astype({c: str for c in nominal})
    X = X.astype({c: float for c in features if c not in nominal})
    if X.isna().any().any():
        raise InvalidDataError(f"{path}: missing values; the suite expects complete tables")
    y, names = encode_labels(df[label])
    return SuiteTable(name=path.stem, X=X, y=y, class_names=names, nominal=nominal)


def _is_numeric(s: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)


def _builtin(source: str) -> SuiteTable:
    """A built-in table with the demo's induced imbalance applied to all its rows."""
    from augment.data import induce_imbalance, load_dataset

    data = load_dataset(source)
    if data.kind != "table":
        raise InvalidDataError(f"{source}: the suite takes tables, not {data.kind}s")
    # run the demo's own reduction on a row-number table to learn which rows it keeps
    rows = replace(data, X=pd.DataFrame({"row": np.arange(len(data))}))
    kept = induce_imbalance(rows, data.demo_imbalance, BUILTIN_FRACTION, BUILTIN_SEED)
    keep = kept.X["row"].to_numpy()
    removed = np.setdiff1d(np.arange(len(data)), keep)
    X = data.X.iloc[keep].reset_index(drop=True).astype(float)
    return SuiteTable(
        name=source,
        X=X,
        y=data.y[keep],
        class_names=data.class_names,
        nominal=[],
        removed={
            "classes": list(data.demo_imbalance),
            "fraction": BUILTIN_FRACTION,
            "seed": BUILTIN_SEED,
            "n_removed": int(len(removed)),
            "rows": removed.tolist(),
        },
    )
