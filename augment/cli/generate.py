"""``augment generate``: sample from a logged generator into a table file or an image folder."""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

MAX_SEED = 2**32 - 1


def add_parser(sub, verbose: argparse.ArgumentParser) -> None:
    gen = sub.add_parser(
        "generate", parents=[verbose], help="sample from a logged generator (MLflow model URI)"
    )
    gen.add_argument("model_uri", help="e.g. runs:/<run id>/generator or models:/<name>@current")
    gen.add_argument("--n", type=int, required=True, help="samples per class")
    gen.add_argument(
        "--class", dest="classes", action="append", help="class name (repeat; default: all)"
    )
    gen.add_argument("--out", required=True, help=".csv/.parquet (tables) or a folder (images)")
    gen.add_argument("--seed", type=int, default=0, help=f"random seed of the draw (0-{MAX_SEED})")
    gen.add_argument("--force", action="store_true", help="replace an existing output")
    gen.set_defaults(handler=command)


MAX_N = 1_000_000  # samples per class in one call
SAY_FROM = 100_000  # samples from which the terminal is told it takes a while


def command(args: argparse.Namespace) -> int:
    from augment.exceptions import ConfigError

    if not 1 <= args.n <= MAX_N:
        raise ConfigError(f"--n must be between 1 and {MAX_N:,} samples per class, got {args.n}")
    if not 0 <= args.seed <= MAX_SEED:
        raise ConfigError(f"--seed must be between 0 and {MAX_SEED}, got {args.seed}")
    if args.model_uri.startswith(("runs:/", "models:/")):  # looked up in the store
        from augment.tracking.config import load_tracking_config as tracking_config
        from augment.tracking.probe import check_store

        # first, before the heavy imports: an unusable store or server exits 2 in seconds
        check_store(tracking_config(), write=False)
    import pandas as pd

    from augment import export
    from augment.exceptions import InvalidDataError
    from augment.outputs import Outputs
    from augment.tracking import load_generator, load_tracking_config
    from augment.tracking.config import require_store

    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    tracking = load_tracking_config()
    outputs = Outputs(force=args.force)
    if tracking.store_path is not None:
        outputs.protect(tracking.store_path, f"the tracking store {tracking.store_path}")
    if "://" not in args.model_uri and os.path.exists(args.model_uri):
        outputs.protect(args.model_uri, f"the model {args.model_uri}")
    if os.path.lexists(args.out) and not args.force:  # before any download
        raise ConfigError(f"--out {args.out} already exists; pass --force to replace it")
    if args.model_uri.startswith(("runs:/", "models:/")):
        require_store(tracking)  # never create an empty store to look a model up in
    model, meta = load_generator(args.model_uri, tracking)
    names = meta["class_names"]
    classes = list(dict.fromkeys(args.classes or names))
    unknown = [c for c in classes if c not in names]
    if unknown:
        raise InvalidDataError(f"unknown class(es) {unknown}; the generator knows {names}")
    image = meta.get("kind") == "image"
    if image:
        out = outputs.folder(args.out, "--out")
        export.check_folder_target(out, args.force)
    else:
        out = outputs.file(args.out, "--out", suffixes=export.TABLE_FORMATS)
        export.check_table_target(out, args.force)
    request = pd.DataFrame({"class": classes, "n": [args.n] * len(classes)})
    total = args.n * len(classes)
    if total >= SAY_FROM:
        print(
            f"augment: generating {total:,} sample(s) ({args.n:,} per class x {len(classes)});"
            " this takes a while",
            file=sys.stderr,
            flush=True,
        )
    started = time.monotonic()
    samples = model.predict(request, params={"random_state": args.seed})
    if total >= SAY_FROM:
        print(f"augment: generated in {time.monotonic() - started:.0f} s", file=sys.stderr)
    col = meta["class_column"]  # tables: their label column (never a feature's name)
    if image:  # the class names are the folders' names
        shape = [len(samples), *meta["image_shape"]]
        pixels = samples.drop(columns=col).to_numpy(dtype="float32").reshape(shape)
        export.write_image_folder(pixels, samples[col].tolist(), out, args.force)
    counts = samples[col].value_counts()
    if not image:
        samples[col] = labels_as_trained(samples[col], meta)
        export.write_table(samples[[*samples.columns.drop(col), col]], out, args.force)
    print(f"wrote {len(samples)} synthetic sample(s) to {args.out}")
    for c in classes:
        print(f"  {c}: {int(counts.get(c, 0))}")
    return 0


def labels_as_trained(names: pd.Series, meta: dict) -> pd.Series:
    """The class column with the label dtype the model was trained with where its metadata
    records one (integer labels as int64, as the over-sampler keeps them); class names (text)
    for a model logged before the dtype was recorded."""
    return names.astype("int64") if meta.get("label_dtype") == "int64" else names
