"""Hypothesis strategies for the CLI fuzzer: what a user can hand `augment`.

Every strategy draws a *recipe*: plain data (frozen dataclasses) describing an input, with a
``write``/``build`` method that puts it on disk and a ``describe`` that says it in one line for
the findings list. Hypothesis draws the structure (names, kinds, sizes, flags); the cell values
come from a numpy generator seeded by a drawn integer, so a recipe is small to draw and
reproducible from its description.

Families: tables (CSV dialects and encodings, Parquet dtypes), image folders (modes, sizes,
bit depths, damaged files), run configs and ``mlflow.yml`` (types, ranges, aliases, unknown
keys), environments (tracking stores, read-only folders, busy ports, loopback servers) and the
options of ``augment generate`` / ``compare`` / ``serve``.
"""

from __future__ import annotations

import csv
import os
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import strategies as st

# ---------------------------------------------------------------------------------------------
# hostile names: column names, labels, class folders, file names

HOSTILE_NAMES = (
    "class",
    "Type (B)",
    "../../x",
    "<script>alert(1)</script>",
    "\U0001f40d",  # emoji
    " ",
    "\t",
    "",
    "x" * 300,
    "01",
    "1",
    "1.0",
    "True",
    "true",
    "NA",
    "None",
    "null",
    "nan",
    "-1",
    "a,b",
    'q"uote',
    "new\nline",
    "is_synthetic",
    "%s{0}",
    "$(touch pwned)",
    "caf\u00e9",
    "\u202eevil",  # right-to-left override
    ".hidden",
    "-rf",
    "y",
)
PLAIN_NAMES = ("a", "b", "c", "age", "income", "city", "f1", "f2")

# folder names a file system accepts (no "/", no NUL, at most 255 bytes, not "." or "..")
HOSTILE_FOLDERS = tuple(
    n for n in HOSTILE_NAMES if n and "/" not in n and len(n.encode()) <= 255
) + ("..x", "CON", "a" * 255)

hostile_name = st.sampled_from(HOSTILE_NAMES)
plain_name = st.sampled_from(PLAIN_NAMES)
any_name = st.one_of(plain_name, hostile_name)


def short(text: str, n: int = 24) -> str:
    """``repr(text)`` cut to about ``n`` characters, for one-line descriptions."""
    r = repr(text)
    return r if len(r) <= n else r[: n - 4] + "...'"


# ---------------------------------------------------------------------------------------------
# tables

COLUMN_KINDS = (
    "int64",
    "float64",
    "float64_nan",  # NaN / inf / -inf sprinkled in
    "float32",
    "Int64",  # nullable integer
    "boolean",  # nullable boolean
    "string",
    "category",
    "datetime64",
    "datetime64_tz",
    "timedelta64",
    "object_mixed",  # ints, text, floats, None, bools in one column
    "uint64_big",
    "constant",
    "all_nan",
)
LABEL_KINDS = ("str", "int", "float", "bool", "category", "Int64_na")


@dataclass(frozen=True)
class TableRecipe:
    """A labelled table written as CSV (a dialect and encoding) or Parquet."""

    n_rows: int
    names: tuple[str, ...]  # feature names then the label's, in column order (may repeat)
    kinds: tuple[str, ...]  # one per feature
    label_pos: int  # where the label column sits
    classes: tuple[str, ...]  # class values (as text) of the label
    label_kind: str
    minority: float  # share of rows in the rarer classes
    label_arg: str  # what --label says (usually the label's name)
    fmt: str  # "csv" or "parquet"
    file_name: str
    sep: str = ","
    quoting: int = csv.QUOTE_MINIMAL
    encoding: str = "utf-8"
    line_end: str = "\n"
    damage: str = "none"  # none, truncate, nul, ragged, garbage, empty, fifo, device_link
    missing: str | None = None  # --missing
    arms: str = "baseline,gan"
    seed: int = 0

    def frame(self) -> pd.DataFrame:
        """The table as a DataFrame (columns may repeat)."""
        rng = np.random.default_rng(self.seed)
        n = self.n_rows
        label = _label_values(self, rng)
        features = [_column(kind, n, rng) for kind in self.kinds]
        cols = features[: self.label_pos] + [label] + features[self.label_pos :]
        data = {i: c.reset_index(drop=True) for i, c in enumerate(cols)}
        df = pd.DataFrame(data)
        df.columns = list(self.names)
        return df

    def write(self, path: Path) -> None:
        df = self.frame()
        if self.fmt == "parquet":
            _write_parquet(df, path)
        else:
            text = df.to_csv(
                index=False,
                sep=self.sep,
                quoting=self.quoting,
                lineterminator=self.line_end,
                escapechar="\\" if self.quoting == csv.QUOTE_NONE else None,
            )
            data = text.encode(self.encoding, errors="replace")
            if self.encoding == "utf-8-sig":
                data = text.encode("utf-8-sig")
            path.write_bytes(data)
        _damage(path, self.damage)

    def describe(self) -> str:
        cols = ", ".join(
            f"{short(n, 16)}:{k}"
            for n, k in zip(
                self.names,
                self.kinds[: self.label_pos] + ("LABEL",) + self.kinds[self.label_pos :],
                strict=True,
            )
        )
        how = (
            "parquet"
            if self.fmt == "parquet"
            else f"csv sep={self.sep!r} quoting={self.quoting} enc={self.encoding}"
            f" eol={self.line_end!r}"
        )
        return (
            f"{self.file_name!r} {how} damage={self.damage} rows={self.n_rows} [{cols}]"
            f" label={self.label_kind} classes={[short(c, 14) for c in self.classes]}"
            f" minority={self.minority:.2f} --label {short(self.label_arg)} seed={self.seed}"
        )


def _label_values(r: TableRecipe, rng: np.random.Generator) -> pd.Series:
    n, k = r.n_rows, len(r.classes)
    # the first class is the majority; the rest share `minority` of the rows
    p = np.array([1 - r.minority] + [r.minority / max(k - 1, 1)] * (k - 1))
    codes = rng.choice(k, size=n, p=p / p.sum()) if n else np.array([], dtype=int)
    text = [r.classes[c] for c in codes]
    if r.label_kind == "int":
        return pd.Series([_as_int(t, i) for i, t in zip(codes, text, strict=True)], dtype="int64")
    if r.label_kind == "float":
        return pd.Series(
            [_as_float(t, i) for i, t in zip(codes, text, strict=True)], dtype="float64"
        )
    if r.label_kind == "bool":
        return pd.Series([bool(c % 2) for c in codes], dtype="bool")
    if r.label_kind == "category":
        return pd.Series(text, dtype="category")
    if r.label_kind == "Int64_na":
        vals = [
            None if t in ("NA", "None", "null", "nan", "") else _as_int(t, c)
            for c, t in zip(codes, text, strict=True)
        ]
        return pd.Series(vals, dtype="Int64")
    return pd.Series(text, dtype=object)


def _as_int(text: str, code: int) -> int:
    try:
        return int(float(text))
    except (ValueError, OverflowError):
        return int(code)


def _as_float(text: str, code: int) -> float:
    try:
        return float(text)
    except ValueError:
        return float(code) + 0.5


_TEXT_POOL = ("a", "b", "Type (B)", "<b>x</b>", "\U0001f40d", "", " ", "NA", "None", "01", "1")


def _column(kind: str, n: int, rng: np.random.Generator) -> pd.Series:
    """``n`` values of a feature column of ``kind`` (see `COLUMN_KINDS`)."""
    if kind == "int64":
        return pd.Series(rng.integers(-5, 6, n), dtype="int64")
    if kind in ("float64", "float64_nan"):
        x = rng.normal(size=n)
        if kind == "float64_nan" and n:
            idx = rng.choice(n, size=max(1, n // 8), replace=True)
            x[idx] = rng.choice([np.nan, np.inf, -np.inf], size=len(idx))
        return pd.Series(x, dtype="float64")
    if kind == "float32":
        return pd.Series(rng.normal(size=n).astype(np.float32))
    if kind == "Int64":
        vals = [None if rng.random() < 0.2 else int(v) for v in rng.integers(0, 9, n)]
        return pd.Series(vals, dtype="Int64")
    if kind == "boolean":
        vals = [None if rng.random() < 0.2 else bool(v) for v in rng.integers(0, 2, n)]
        return pd.Series(vals, dtype="boolean")
    if kind == "string":
        vals = [None if rng.random() < 0.1 else str(rng.choice(_TEXT_POOL)) for _ in range(n)]
        return pd.Series(vals, dtype="string")
    if kind == "category":
        return pd.Series([str(rng.choice(_TEXT_POOL[:6])) for _ in range(n)], dtype="category")
    if kind in ("datetime64", "datetime64_tz"):
        secs = rng.integers(0, 2_000_000_000, n)
        s = pd.Series(pd.to_datetime(secs, unit="s"))
        if n:
            s[rng.random(n) < 0.1] = pd.NaT
        return (
            s.dt.tz_localize("Europe/Paris", ambiguous="NaT", nonexistent="NaT")
            if kind.endswith("tz")
            else s
        )
    if kind == "timedelta64":
        return pd.Series(pd.to_timedelta(rng.integers(-(10**6), 10**6, n), unit="s"))
    if kind == "object_mixed":
        pool = [1, "two", 3.5, None, True, "NA", -0.0, "\U0001f40d", 10**20]
        return pd.Series([pool[int(i)] for i in rng.integers(0, len(pool), n)], dtype=object)
    if kind == "uint64_big":
        return pd.Series(rng.integers(0, 2**63, n, dtype=np.uint64) * np.uint64(2), dtype="uint64")
    if kind == "constant":
        return pd.Series([7] * n, dtype="int64")
    if kind == "all_nan":
        return pd.Series([np.nan] * n, dtype="float64")
    raise AssertionError(kind)


def _write_parquet(df: pd.DataFrame, path: Path) -> None:
    """``df`` as Parquet through pyarrow, column by column (so repeated names are kept and a
    column pyarrow cannot type is written as text)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    arrays = []
    for i in range(df.shape[1]):
        s = df.iloc[:, i]
        try:
            arrays.append(pa.Array.from_pandas(s))
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
            arrays.append(pa.array([None if v is None else str(v) for v in s], pa.string()))
    pq.write_table(pa.Table.from_arrays(arrays, names=[str(c) for c in df.columns]), path)


def _damage(path: Path, how: str) -> None:
    """Spoil a written file the way disks, editors and transfers do."""
    if how == "none":
        return
    if how in ("fifo", "device_link"):  # not a regular file where the table should be
        path.unlink()
        if how == "fifo":  # a reader that opens it waits for a writer forever
            os.mkfifo(path)
        else:  # endless zeros behind the table's name
            path.symlink_to("/dev/zero")
        return
    data = path.read_bytes()
    if how == "truncate":
        data = data[: max(0, len(data) * 2 // 3)]
    elif how == "nul":
        data = data[: len(data) // 2] + b"\x00" + data[len(data) // 2 :]
    elif how == "ragged":
        data = data + b"1,2,3,4,5,6,7,8,9,10,11\n"
    elif how == "garbage":
        data = data + bytes(range(256))
    elif how == "empty":
        data = b""
    path.write_bytes(data)


@st.composite
def tables(draw) -> TableRecipe:
    """A labelled table: hostile or plain names, dtypes, sizes 0-80 rows, dialects.

    Half the examples keep the file well-formed (comma CSV in UTF-8, or Parquet; the label
    named right; 40-80 rows of 2-3 classes), so that the names, dtypes and labels reach the
    split, the GAN and the report; the other half spoil the file too (dialects, encodings,
    damaged bytes, sizes, a wrong --label)."""
    spoil_file = draw(st.booleans())  # False first: hypothesis starts from the first choices
    n_features = draw(st.integers(1, 5))
    kinds = tuple(
        draw(st.lists(st.sampled_from(COLUMN_KINDS), min_size=n_features, max_size=n_features))
    )
    hostile = draw(st.booleans())
    names = draw(
        st.lists(
            any_name if hostile else plain_name,
            min_size=n_features + 1,
            max_size=n_features + 1,
            unique=not hostile,
        )
    )
    label_pos = draw(st.integers(0, n_features))
    plain_classes = st.lists(
        st.sampled_from(("yes", "no", "rare", "common")), min_size=2, max_size=3, unique=True
    )
    hostile_classes = st.lists(
        st.sampled_from(HOSTILE_NAMES), min_size=1 if spoil_file else 2, max_size=4, unique=True
    )
    classes = tuple(draw(hostile_classes if draw(st.booleans()) else plain_classes))
    fmt = draw(st.sampled_from(("csv", "parquet")))
    if spoil_file:
        label_arg = draw(
            st.one_of(
                st.just(names[label_pos]),
                st.sampled_from(("Y", "labels", "", " ", "Unnamed: 0")),
            )
        )
        suffix = draw(
            st.sampled_from(
                (".csv", ".CSV", ".tsv", ".txt") if fmt == "csv" else (".parquet", ".pq", ".csv")
            )
        )
        stem = draw(st.sampled_from(("t", "Type (B)", "\U0001f40d", "a b", "-rf", ".hidden")))
        n_rows = draw(st.sampled_from((0, 1, 3, 6, 20, 40, 80)))
        dialect = dict(
            sep=draw(st.sampled_from((",", ";", "\t", "|"))),
            quoting=draw(
                st.sampled_from(
                    (csv.QUOTE_MINIMAL, csv.QUOTE_ALL, csv.QUOTE_NONNUMERIC, csv.QUOTE_NONE)
                )
            ),
            encoding=draw(st.sampled_from(("utf-8", "utf-8-sig", "latin-1", "utf-16"))),
            line_end=draw(st.sampled_from(("\n", "\r\n", "\r"))),
            damage=draw(
                st.sampled_from(
                    ("none", "truncate", "nul", "ragged", "garbage", "empty", "fifo", "device_link")
                )
            ),
        )
    else:
        label_arg = names[label_pos]
        suffix = ".csv" if fmt == "csv" else ".parquet"
        stem = draw(st.sampled_from(("t", "Type (B)", "\U0001f40d")))
        n_rows = draw(st.sampled_from((40, 60, 80)))
        dialect = dict(
            quoting=draw(st.sampled_from((csv.QUOTE_MINIMAL, csv.QUOTE_NONNUMERIC))),
            encoding=draw(st.sampled_from(("utf-8", "utf-8-sig"))),
        )
    return TableRecipe(
        n_rows=n_rows,
        names=tuple(names),
        kinds=kinds,
        label_pos=label_pos,
        classes=classes,
        label_kind=draw(st.sampled_from(LABEL_KINDS)),
        minority=draw(st.sampled_from((0.3, 0.5, 0.15, 0.04))),
        label_arg=label_arg,
        fmt=fmt,
        file_name=stem + suffix,
        missing=draw(st.sampled_from((None, "drop", "impute", "error"))),
        arms=draw(
            st.sampled_from(
                (
                    "baseline,gan",
                    "baseline,smote,gan",
                    "baseline,smotenc",
                    "random_oversample,class_weight",
                )
            )
        ),
        seed=draw(st.integers(0, 2**16)),
        **dialect,
    )


# ---------------------------------------------------------------------------------------------
# image folders

MODES = ("L", "RGB", "RGBA", "P", "I;16", "1", "LA", "CMYK")  # PNG cannot hold 32-bit "I"


@dataclass(frozen=True)
class ImageRecipe:
    """``root/<class>/<i>.<ext>``: per class a list of (mode, fmt, (h, w)), plus odd files."""

    classes: tuple[str, ...]
    images: tuple[tuple[tuple[str, str, tuple[int, int]], ...], ...]
    extras: tuple[tuple[int, str], ...]  # (class index, kind): corrupt, empty, bomb, ...
    loose: tuple[str, ...]  # files at the root beside the class folders
    arms: str
    classifier: str | None
    seed: int = 0

    def write(self, root: Path) -> list[str]:
        """Write the folder; the names of the damaged files (the culprits of an exit 2)."""

        rng = np.random.default_rng(self.seed)
        root.mkdir(parents=True)
        culprits = []
        for cls, images in zip(self.classes, self.images, strict=True):
            (root / cls).mkdir(exist_ok=True)
            for i, (mode, fmt, (h, w)) in enumerate(images):
                img = _image(mode, h, w, rng)
                if img.mode == "CMYK":
                    fmt = "JPEG"  # PNG has no CMYK
                if fmt == "JPEG" and img.mode not in ("L", "RGB", "CMYK"):
                    img = img.convert("RGB")
                ext = {"PNG": ".png", "JPEG": ".jpg"}[fmt]
                img.save(root / cls / f"{i}{ext}", format=fmt)
        for k, (ci, kind) in enumerate(self.extras):
            folder = root / self.classes[ci % len(self.classes)]
            name, data = _odd_file(kind, k)
            if kind == "fifo":  # a reader that opens it waits for a writer forever
                os.mkfifo(folder / name)
            elif kind == "device_link":  # endless zeros behind an image's name
                (folder / name).symlink_to("/dev/zero")
            else:
                (folder / name).write_bytes(data)
            if kind != "text":
                culprits.append(name)
        for name in self.loose:
            (root / name).write_bytes(b"not an image\n")
        return culprits

    def describe(self) -> str:
        parts = []
        for cls, images in zip(self.classes, self.images, strict=True):
            kinds = sorted({f"{m}/{f}/{h}x{w}" for m, f, (h, w) in images})
            parts.append(f"{short(cls, 16)}:{len(images)}x{kinds}")
        return (
            f"image folder [{'; '.join(parts)}] extras={list(self.extras)} loose={list(self.loose)}"
            f" seed={self.seed}"
        )


def _image(mode: str, h: int, w: int, rng: np.random.Generator):
    from PIL import Image

    if mode == "I;16":
        return Image.fromarray(rng.integers(0, 65536, (h, w), dtype=np.uint16))
    base = Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8))
    if mode == "P":
        return base.convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
    return base.convert(mode)


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose IHDR claims ``width`` x ``height`` 8-bit gray pixels, with one tiny IDAT."""

    def chunk(tag: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def _odd_file(kind: str, k: int) -> tuple[str, bytes]:
    if kind == "corrupt":
        return f"corrupt{k}.png", b"\x89PNG\r\n\x1a\n" + bytes(range(200))
    if kind == "empty":
        return f"empty{k}.png", b""
    if kind == "bomb":
        return f"bomb{k}.png", png_header_only(30000, 30000)
    if kind == "big_header":  # 9000 x 9000: under Pillow's bomb limit, no pixel data
        return f"big{k}.png", png_header_only(9000, 9000)
    if kind == "zero_size":
        return f"zero{k}.png", png_header_only(0, 0)
    if kind == "jpeg_as_png":
        return f"jpegname{k}.png", b"\xff\xd8\xff\xe0" + bytes(100)
    if kind == "text":
        return f"notes{k}.txt", b"just notes\n"
    if kind == "truncated_png":
        return f"trunc{k}.png", png_header_only(8, 8)[:40]
    if kind in ("fifo", "device_link"):  # not regular files: made by `ImageRecipe.write`
        return f"{kind}{k}.png", b""
    raise AssertionError(kind)


ODD_FILES = (
    "corrupt",
    "empty",
    "bomb",
    "big_header",
    "zero_size",
    "jpeg_as_png",
    "text",
    "truncated_png",
    "fifo",
    "device_link",
)


@st.composite
def image_folders(draw) -> ImageRecipe:
    """Class folders (hostile names) of PNG/JPEG images in several modes and sizes.

    Half the examples are loadable folders (2-3 classes of 8-12 images, one mode and size,
    any of `MODES`), so the mode, size and names reach the GAN and the report; the other half
    mix modes and sizes, leave classes near empty and add damaged files."""
    spoil = draw(st.booleans())  # False first: hypothesis starts from the first choices
    classes = draw(
        st.lists(
            st.one_of(st.sampled_from(("a", "b", "c")), st.sampled_from(HOSTILE_FOLDERS)),
            min_size=1 if spoil else 2,
            max_size=3,
            unique=True,
        )
    )
    size = draw(st.sampled_from(((8, 8), (1, 1), (32, 32), (5, 7), (16, 16))))
    one_mode = draw(st.sampled_from(MODES))
    fmt = draw(st.sampled_from(("PNG", "JPEG")))
    mixed_modes = spoil and draw(st.booleans())
    mixed_sizes = spoil and draw(st.booleans())
    images = []
    for _ in classes:
        n = draw(st.sampled_from((0, 1, 3, 8, 12) if spoil else (8, 10, 12)))
        row = []
        for _ in range(n):
            mode = draw(st.sampled_from(MODES)) if mixed_modes else one_mode
            hw = draw(st.sampled_from(((1, 1), (8, 8), (32, 32), (3, 9)))) if mixed_sizes else size
            row.append((mode, draw(st.sampled_from(("PNG", "JPEG"))) if mixed_modes else fmt, hw))
        images.append(tuple(row))
    extras = draw(
        st.lists(st.tuples(st.integers(0, 2), st.sampled_from(ODD_FILES)), min_size=1, max_size=2)
        if spoil and draw(st.booleans())
        else st.just([])
    )
    loose = draw(
        st.lists(st.sampled_from(("loose.png", "README.txt", ".DS_Store")), max_size=1, unique=True)
    )
    return ImageRecipe(
        classes=tuple(classes),
        images=tuple(images),
        extras=tuple(extras),
        loose=tuple(loose),
        arms=draw(st.sampled_from(("baseline,gan", "baseline,smote,gan", "baseline,classical"))),
        classifier=draw(st.sampled_from((None, "random_forest", "logistic_regression"))),
        seed=draw(st.integers(0, 2**16)),
    )


# ---------------------------------------------------------------------------------------------
# run configs and mlflow.yml

# a value that is wrong for any typed key, or out of any range
BAD_VALUES = (
    -1,
    0,
    2**64,
    2**63,
    -(2**63) - 1,
    1e308,
    float("inf"),
    float("nan"),
    "ten",
    "",
    True,
    [1, 2],
    {"a": 1},
    None,
    -0.5,
    1.5,
)
# run-config keys (dotted) whose values are fuzzed
RUN_KEYS = (
    "seeds",
    "arms",
    "classifier",
    "sampling_strategy",
    "augmentations",
    "data.test_size",
    "data.split_seed",
    "data.imbalance_classes",
    "data.imbalance_fraction",
    "data.min_class_rows",
    "data.discrete",
    "data.missing",
    "data.label",
    "data.source",
    "gan.epochs",
    "gan.batch_size",
    "gan.noise_dim",
    "gan.lr_g",
    "gan.ema_decay",
    "gan.seed",
    "gan.seeds",
    "gan.device",
    "gan.eval_every",
    "gan.patience",
    "gan.checkpoint_every",
    "gan.tabular.hidden",
    "gan.tabular.pac",
    "gan.tabular.tau",
    "gan.image.channels",
    "orchestration.max_workers",
    "orchestration.runner",
    "orchestration.retrain",
)
UNKNOWN_KEYS = ("sedes", "gan.epoch", "data.labels", "Seeds", "gan.tabular.hiden", "<script>", "")
# odd but well-typed values per key: the config is valid, the run should work or say why
ODD_VALID = {
    "sampling_strategy": (
        "not majority",
        "minority",
        1.0,
        0.5,
        {"yes": 50},
        {"rare": -1},
        {"nope": 3},
        "all",
    ),
    "augmentations": ([{"name": "os.system"}], [{"name": "Affine", "rotate": "x"}], [], [{"p": 1}]),
    "gan.device": ("cuda", "cuda:99", "mps", "tpu", "CPU", "cpu"),
    "data.imbalance_classes": (["nope"], ["yes"], [], ["yes", "no", "rare", "common"], [1, 2]),
    "data.min_class_rows": (1, 10**6, 59),
    "data.discrete": (["nope"], ["y"], [], ["x0", "x0"]),
    "data.test_size": (0.01, 0.99, 0.5),
    "data.split_seed": (-1, 2**32, 2**64),
    "gan.seed": (-1, 2**32, 2**64),
    "classifier": ("cnn", "random_forest", "logistic_regression", "svm"),
    "arms": (["smotenc"], ["classical"], ["oracle"], ["baseline", "baseline"], ["gan+classical"]),
    "data.source": ("builtin:nope", "builtin:", "/nonexistent.csv", "t.csv/..", "."),
    "orchestration.runner": ("dask", "thread", "process"),
    "gan.batch_size": (2, 3, 2**31),
    "gan.noise_dim": (1, 2**20, 2**40),
    "gan.tabular.hidden": (1, 2**20),
    "gan.patience": (1,),
    "gan.eval_every": (0, 1),
}
ROOTS = (
    "[]",
    "- a\n- b\n",
    "42\n",
    "'text'\n",
    "null\n",
    "",
    "~\n",
    "{\n",
    "\tseeds: 1\n",
    "seeds: 1\nseeds: [\n",
)
PYTHON_TAG = "seeds: !!python/object/apply:os.system ['touch pwned']\n"


def laughs(depth: int, key: str) -> str:
    """A small billion-laughs: ``depth`` levels of 10 aliases each (10**depth leaves) under
    ``key``."""
    lines = ['l0: &l0 ["lol"]']
    for i in range(1, depth + 1):
        refs = ", ".join([f"*l{i - 1}"] * 10)
        lines.append(f"l{i}: &l{i} [{refs}]")
    lines.append(f"{key}: *l{depth}")
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class ConfigRecipe:
    """A run config (or ``mlflow.yml``) as YAML text, and what is wrong with it."""

    target: str  # "run" (the positional config) or "mlflow" (./mlflow.yml)
    text: str  # the YAML (written as bytes in `encoding`)
    encoding: str
    mutations: tuple[str, ...]  # what was changed, for the findings list
    culprits: tuple[str, ...]  # a key or value the exit-2 line should name
    expect_user_error: bool  # a user mistake for sure: exit 2 expected

    def describe(self) -> str:
        body = self.text if len(self.text) < 240 else self.text[:230] + "..."
        return f"{self.target} config ({self.encoding}) {list(self.mutations)}: {body!r}"


def _dotted_set(values: dict, dotted: str, value) -> None:
    node = values
    *parents, leaf = dotted.split(".")
    for key in parents:
        if not isinstance(node.get(key), dict):
            node[key] = {}
        node = node[key]
    node[leaf] = value


def _base_run_config(source: str) -> dict:
    return {
        "data": {"source": source, "label": "y"},
        "gan": {"epochs": 1},
        "seeds": 1,
        "arms": ["baseline"],
    }


@st.composite
def configs(draw, source: str = "t.csv") -> ConfigRecipe:
    """A tiny valid run config with 0-3 mutations: wrong types, out-of-range numbers, unknown
    keys, odd but typed values, aliases, a python tag, a non-mapping root; or an ``mlflow.yml``."""
    import yaml

    if draw(st.integers(0, 4)) == 0:
        return draw(mlflow_configs())
    values = _base_run_config(source)
    mutations, culprits = [], []
    user_error = False
    verdict: dict[str, bool] = {}  # key -> its value is a user mistake for sure
    for _ in range(draw(st.integers(0, 3))):
        how = draw(st.sampled_from(("bad", "bad", "unknown", "odd", "odd")))
        if how == "bad":
            key = draw(st.sampled_from(RUN_KEYS))
            value = draw(st.sampled_from(BAD_VALUES))
            _dotted_set(values, key, value)
            mutations.append(f"{key}={value!r}")
            culprits.append(key.split(".")[-1])
            verdict[key] = bad_for(key, value)
        elif how == "unknown":
            key = draw(st.sampled_from(UNKNOWN_KEYS))
            _dotted_set(values, key, 1)
            mutations.append(f"unknown {key!r}")
            culprits.append(key.split(".")[-1] or "''")
            user_error = True
        else:
            key = draw(st.sampled_from(sorted(ODD_VALID)))
            value = draw(st.sampled_from(ODD_VALID[key]))
            _dotted_set(values, key, value)
            mutations.append(f"{key}={value!r}")
            verdict[key] = False  # may run or be refused: no expectation
    text = yaml.safe_dump(values, allow_unicode=True, sort_keys=False)
    special = draw(
        st.sampled_from(("none",) * 6 + ("laughs", "python_tag", "root", "anchor", "latin1", "bom"))
    )
    encoding = "utf-8"
    if special == "laughs":
        depth = draw(st.integers(3, 7))
        key = draw(st.sampled_from(("sampling_strategy", "augmentations", "arms", "extra_key")))
        text = laughs(depth, key) + text.replace(f"{key}:", "previous_" + key + ":")
        mutations.append(f"billion laughs depth {depth} under {key}")
        culprits.append("l0")  # the alias anchors are unknown keys at least
        user_error = True
    elif special == "python_tag":
        text = PYTHON_TAG + "".join(
            line + "\n" for line in text.splitlines() if not line.startswith("seeds")
        )
        mutations.append("!!python/object/apply tag")
        user_error = True
    elif special == "root":
        text = draw(st.sampled_from(ROOTS))
        mutations, culprits = ["non-mapping or broken root"], []
        user_error = text not in ("", "null\n", "~\n")  # an empty config is allowed
    elif special == "anchor":
        text = "shared: &s 1\n" + text.replace("seeds: 1", "seeds: *s")
        mutations.append("anchor + alias (valid, but unknown key 'shared')")
        culprits.append("shared")
        user_error = True
    elif special == "latin1":
        text = "# caf\u00e9 \u00e0 la cr\u00e8me\n" + text
        encoding = "latin-1"
        mutations.append("latin-1 bytes in a comment")
    elif special == "bom":
        encoding = "utf-8-sig"
        mutations.append("UTF-8 BOM")
    if special != "root":
        user_error = user_error or any(verdict.values())  # the last value set for each key
    return ConfigRecipe("run", text, encoding, tuple(mutations), tuple(culprits), user_error)


# keys where a value of BAD_VALUES is allowed: None (the default), 0, a float above 1
OPTIONAL_KEYS = {
    "gan.batch_size", "gan.lr_g", "gan.seeds", "gan.patience", "orchestration.max_workers",
    "data.imbalance_classes", "data.label", "augmentations", "data.discrete",
}  # fmt: skip
ZERO_OK = {"gan.eval_every", "data.split_seed", "gan.seed", "data.min_class_rows"}
FLOATS_TAKING_1_5 = {"gan.tabular.tau"}  # in range at 1.5 (a learning rate is at most 1)


def bad_for(key: str, value) -> bool:
    """Whether ``value`` (one of `BAD_VALUES`) at ``key`` is a user mistake for sure: wrong
    type or out of any range. Values a lax reading may accept (None for optional keys, True
    as 1, "" for text, 0 where 0 is a seed) are left without an expectation."""
    if value is True or value == "" or isinstance(value, dict) and key == "sampling_strategy":
        return False
    if value is None:
        return key not in OPTIONAL_KEYS and key != "sampling_strategy"
    if value == 0 and not isinstance(value, bool):
        return key not in ZERO_OK
    if value == 1.5:
        return key not in FLOATS_TAKING_1_5
    return True


def _mlflow_keys() -> tuple[tuple[str, ...], frozenset[str]]:
    """mlflow.yml's keys and the optional ones ("" turns them off), from the dataclass: a key
    added later is fuzzed too."""
    from dataclasses import fields

    from augment.tracking.config import TrackingConfig

    keys = [f for f in fields(TrackingConfig) if f.name != "source"]
    return tuple(f.name for f in keys), frozenset(f.name for f in keys if "None" in str(f.type))


MLFLOW_KEYS, OPTIONAL_MLFLOW_KEYS = _mlflow_keys()


@st.composite
def mlflow_configs(draw) -> ConfigRecipe:
    """A ``./mlflow.yml`` beside the run: wrong types, unknown keys, odd names, bad roots."""
    import yaml

    values = {"tracking_uri": "sqlite:///mlflow.db", "experiment": "fuzz"}
    mutations, culprits = [], []
    user_error = False
    for _ in range(draw(st.integers(1, 2))):
        how = draw(st.sampled_from(("bad", "unknown", "odd")))
        if how == "bad":
            key = draw(st.sampled_from(MLFLOW_KEYS))
            value = draw(st.sampled_from((5, [1], {"a": [1]}, True, 2**64, "")))
            values[key] = value
            mutations.append(f"{key}={value!r}")
            culprits.append(key)
            user_error = user_error or key not in OPTIONAL_MLFLOW_KEYS or value != ""
        elif how == "unknown":
            values["tracking_url"] = "sqlite:///x.db"
            mutations.append("unknown tracking_url")
            culprits.append("tracking_url")
            user_error = True
        else:
            key, value = draw(
                st.sampled_from(
                    (
                        ("experiment", "<script>alert(1)</script>"),
                        ("experiment", "\U0001f40d"),
                        ("experiment", "x" * 600),
                        ("registered_model", "Type (B)"),
                        ("registered_model", "../../x"),
                        ("model_alias", "latest"),
                        ("model_alias", "v1"),
                        ("tags", {"project": "<b>", "mlflow.user": "me"}),
                        ("tracking_uri", "sqlite:///sub/dir/m.db"),
                        ("tracking_uri", "mlruns-store"),
                    )
                )
            )
            values[key] = value
            mutations.append(f"{key}={value!r}")
    text = yaml.safe_dump(values, allow_unicode=True, sort_keys=False)
    if draw(st.integers(0, 5)) == 0:
        text = draw(st.sampled_from(ROOTS[1:4]))  # `[]` reads as empty: the defaults
        mutations, culprits, user_error = ["mlflow.yml non-mapping root"], ["mlflow.yml"], True
    return ConfigRecipe("mlflow", text, "utf-8", tuple(mutations), tuple(culprits), user_error)


# ---------------------------------------------------------------------------------------------
# environments

STORES = (
    "sqlite",  # a fresh sqlite file in the example's folder (the normal case)
    "sqlite_elsewhere",  # a sqlite file in another folder (absolute path)
    "not_a_db",  # a file with text in it where the database should be
    "garbage_db",  # random bytes with a SQLite-looking header
    "ro_folder",  # sqlite in a read-only folder, no database yet
    "ro_store",  # a valid, migrated store in a read-only folder
    "memory",  # sqlite:///:memory:
    "folder_as_db",  # sqlite:///<a folder>
    "missing_parent",  # sqlite:///<folder that does not exist>/m.db
    "closed_port",  # http://127.0.0.1:<closed>
    "http_404",  # a loopback server answering 404
    "http_slow",  # a loopback server that never answers in time
    "file_store",  # a plain path (MLflow file store)
    "odd_scheme",  # postgresql://127.0.0.1:<closed>/x (no driver / refused)
    "unset_ro_cwd",  # no MLFLOW_TRACKING_URI, the working folder read-only
)
COMMANDS = ("run", "run", "run", "compare", "ui", "generate_missing")
EXTRAS = (
    "none",
    "none",
    "ro_home",  # HOME read-only (Prefect, matplotlib, MLflow want to write there)
    "ro_cache",  # --cache-dir in a read-only folder
    "cache_is_file",  # --cache-dir naming an existing file
    "cache_is_input",  # --cache-dir naming the data file
    "json_is_input",  # --json naming the data file (with --force)
    "json_exists",  # --json naming an existing file, without --force
    "json_ro",  # --json in a read-only folder
    "json_dot",  # --json .
    "report_same_as_json",  # --report equal to --json
    "prefect_closed",  # PREFECT_API_URL at a closed loopback port
    "prefect_404",  # PREFECT_API_URL at the 404 server
)


@dataclass(frozen=True)
class EnvRecipe:
    store: str
    command: str
    extra: str
    port: str  # for ui: busy, negative, too_big, huge

    def describe(self) -> str:
        return f"env store={self.store} command={self.command} extra={self.extra} port={self.port}"


@st.composite
def environments(draw) -> EnvRecipe:
    command = draw(st.sampled_from(COMMANDS))
    extra = draw(st.sampled_from(EXTRAS)) if command == "run" else "none"
    return EnvRecipe(
        store=draw(st.sampled_from(STORES)),
        command=command,
        extra=extra,
        port=draw(st.sampled_from(("busy", "busy", "negative", "too_big", "huge"))),
    )


# ---------------------------------------------------------------------------------------------
# augment generate / compare / serve options


@dataclass(frozen=True)
class GenerateRecipe:
    model: str  # "table" or "image"
    uri: str  # valid, missing_run, bad_path, models_alias, local_dir, tampered, empty, ...
    n: int
    classes: tuple[str, ...]
    out: str  # what --out names (a template; see the harness)
    seed: int
    force: bool

    def describe(self) -> str:
        return (
            f"generate model={self.model} uri={self.uri} --n {self.n} --class {list(self.classes)}"
            f" --out {self.out} --seed {self.seed} force={self.force}"
        )


GEN_URIS = (
    "valid",
    "valid",
    "valid",
    "missing_run",
    "bad_artifact",
    "models_alias",
    "local_dir",
    "tampered_weights",
    "pickle_weights",
    "tampered_meta",
    "empty",
    "traversal",
)
GEN_OUTS = (
    "out.csv",
    "out.parquet",
    "gen",
    "gen",
    ".",
    "",
    "existing.csv",
    "existing_dir",
    "inside_model",  # inside the model's artifact folder (an input)
    "store_db",  # the tracking database itself
    "missing_parent/x/out.csv",
    "ro/out.csv",
    "out.txt",
    "../outside.csv",
)


@st.composite
def generate_options(draw) -> GenerateRecipe:
    model = draw(st.sampled_from(("table", "image")))
    known = ("a", "b")
    return GenerateRecipe(
        model=model,
        uri=draw(st.sampled_from(GEN_URIS)),
        n=draw(st.sampled_from((1, 1, 2, 5, 0, -1, 2**31, 2**64, 10**12))),
        classes=tuple(
            draw(
                st.lists(
                    st.one_of(st.sampled_from(known), st.sampled_from(HOSTILE_NAMES)), max_size=2
                )
            )
        ),
        out=draw(st.sampled_from(GEN_OUTS)),
        seed=draw(st.sampled_from((0, 0, 7, -1, 2**32, 2**64))),
        force=draw(st.booleans()),
    )


@dataclass(frozen=True)
class CommandRecipe:
    command: str  # compare or serve
    args: tuple[str, ...]
    store: str  # with_runs, empty, none
    prefect: str  # unset, closed, http_404
    expect_user_error: bool

    def describe(self) -> str:
        return f"{self.command} {' '.join(self.args)} store={self.store} prefect={self.prefect}"


@st.composite
def commands(draw) -> CommandRecipe:
    """``augment compare`` and ``augment serve`` with hostile options and stores."""
    if draw(st.booleans()):
        args: list[str] = []
        user = False
        last = draw(st.sampled_from((None, "1", "0", "-1", str(2**64), "x")))
        if last is not None:
            args += ["--last", last]
            user = user or last in ("0", "-1", "x")
        metric = draw(
            st.sampled_from((None, "balanced_accuracy", "macro_f1", "nope", "<script>", ""))
        )
        if metric is not None:
            args += ["--metric", metric]
            user = user or metric in ("nope", "<script>", "")
        plot = draw(
            st.sampled_from(
                (None, "p.png", "p.txt", ".", "data.csv", "ro/p.png", "missing/x/p.png", "p.png/")
            )
        )
        if plot is not None:
            args += ["--plot", plot]
            # (data.csv exists: it must stay as it is, which the file check covers)
            user = user or plot in (".", "ro/p.png", "p.png/")
        for flag, pool in (
            ("--experiment", (None, None, "augment", "nope", "", "<script>", "\U0001f40d")),
            ("--dataset", (None, None, "builtin:wine", "t.csv", "../../x", "")),
        ):
            v = draw(st.sampled_from(pool))
            if v is not None:
                args += [flag, v]
        store = draw(st.sampled_from(("with_runs", "with_runs", "empty", "none")))
        user = user or store == "none"
        return CommandRecipe("compare", tuple(args), store, "unset", user)
    args = []
    config = draw(st.sampled_from((None, "run.yml", "missing.yml", "bad.yml", "data.csv", ".")))
    if config is not None:
        args.append(config)
    when = draw(
        st.sampled_from(
            (
                ("--cron", "0 3 * * *"),
                ("--cron", "* * *"),
                ("--cron", "61 * * * *"),
                ("--cron", ""),
                ("--cron", "@reboot"),
                ("--interval", "-1"),
                ("--interval", "0"),
                ("--interval", "nan"),
                ("--interval", "inf"),
                ("--interval", "1e308"),
                (),
            )
        )
    )
    args += list(when)
    name = draw(st.sampled_from((None, "<script>", "", "../../x", "x" * 300)))
    if name is not None:
        args += ["--name", name]
    prefect = draw(st.sampled_from(("unset", "unset", "closed", "http_404")))
    return CommandRecipe("serve", tuple(args), "none", prefect, True)


# keep these importable for the harness's descriptions
__all__ = [
    "ConfigRecipe",
    "EnvRecipe",
    "GenerateRecipe",
    "CommandRecipe",
    "ImageRecipe",
    "TableRecipe",
    "commands",
    "configs",
    "environments",
    "generate_options",
    "image_folders",
    "laughs",
    "png_header_only",
    "tables",
]
