"""``augment predict``: score a table file or an image folder with a logged classifier."""

from __future__ import annotations

import argparse
import os
from pathlib import Path


def add_parser(sub, verbose: argparse.ArgumentParser) -> None:
    pred = sub.add_parser(
        "predict",
        parents=[verbose],
        help="batch-score rows or images with a logged classifier (MLflow model URI)",
    )
    pred.add_argument("model_uri", help="e.g. runs:/<run id>/classifier or models:/<name>@champion")
    pred.add_argument(
        "--data",
        required=True,
        help=".csv/.tsv/.parquet with the table's feature columns, or an image folder",
    )
    pred.add_argument(
        "--out", required=True, help=".csv/.parquet: the rows (or image files) and predictions"
    )
    pred.add_argument("--force", action="store_true", help="replace an existing output")
    pred.set_defaults(handler=command)


def _table_rows(path: Path):
    """The file's rows as read, and the same rows with the dtypes a run's loader gives them."""
    from augment.data.dtypes import normalise_dtypes
    from augment.data.tabular import read_table

    raw = read_table(path)
    raw = raw.set_axis([str(c) for c in raw.columns], axis=1)
    return raw, normalise_dtypes(raw, str(path))


def _image_rows(root: Path, shape: list[int]):
    """Every PNG/JPEG under ``root`` (any depth, sorted) as relative names and flattened pixels
    in [0, 1], each image checked against the classifier's ``(C, H, W)``."""
    import numpy as np
    import pandas as pd

    from augment.data.images import IMAGE_SUFFIXES, _read_image
    from augment.exceptions import InvalidDataError

    files = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise InvalidDataError(f"{root}: no images found (allowed: {', '.join(IMAGE_SUFFIXES)})")
    rows = []
    for f in files:
        arr = _read_image(f)
        if list(arr.shape) != list(shape):
            raise InvalidDataError(
                f"{f}: image shape (C, H, W)={tuple(arr.shape)}; the classifier was trained on"
                f" {tuple(shape)}"
            )
        rows.append(arr.reshape(-1))
    pixels = np.stack(rows).astype(np.float32) / 255.0  # as `load_image_folder`
    X = pd.DataFrame(pixels, columns=[f"px{j}" for j in range(pixels.shape[1])])
    names = pd.DataFrame({"file": [f.relative_to(root).as_posix() for f in files]})
    return names, X


def command(args: argparse.Namespace) -> int:

    if args.model_uri.startswith(("runs:/", "models:/")):  # looked up in the store
        from augment.tracking.config import load_tracking_config as tracking_config
        from augment.tracking.probe import check_store

        # first, before the heavy imports: an unusable store or server exits 2 in seconds
        check_store(tracking_config(), write=False)
    from augment import export
    from augment.atomic import atomic_write
    from augment.exceptions import InvalidDataError
    from augment.names import free_column
    from augment.outputs import Outputs
    from augment.tracking import load_classifier, load_tracking_config
    from augment.tracking.config import require_store

    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    tracking = load_tracking_config()
    data = Path(args.data)
    if not data.exists():
        raise InvalidDataError(f"--data {args.data}: no such file or folder")
    outputs = Outputs([data], force=args.force)  # never inside or over the input
    if tracking.store_path is not None:
        outputs.protect(tracking.store_path, f"the tracking store {tracking.store_path}")
    if "://" not in args.model_uri and os.path.exists(args.model_uri):
        outputs.protect(args.model_uri, f"the model {args.model_uri}")
    out = outputs.file(args.out, "--out", suffixes=export.TABLE_FORMATS)  # before any download
    export.check_table_target(out, args.force)
    if args.model_uri.startswith(("runs:/", "models:/")):
        require_store(tracking)  # never create an empty store to look a model up in
    model, meta = load_classifier(args.model_uri, tracking)
    image = meta["kind"] == "image"
    if image != data.is_dir():
        want = "an image folder" if image else "a .csv/.tsv/.parquet file"
        raise InvalidDataError(
            f"--data {args.data}: this is a {meta['kind']} classifier; give {want}"
        )
    if image:
        shown, X = _image_rows(data, meta["image_shape"])
    else:
        shown, X = _table_rows(data)
    predictions = model.predict(X)
    column = free_column("prediction", shown.columns)  # a user's column is never replaced
    table = shown.assign(**{column: predictions.to_numpy()})
    if export.TABLE_FORMATS[out.suffix.lower()] == "parquet":
        atomic_write(out, lambda tmp: table.to_parquet(tmp, index=False))
    else:
        atomic_write(out, lambda tmp: table.to_csv(tmp, index=False))
    counts = predictions.value_counts()
    print(f"wrote {len(table)} prediction(s) to {args.out} (column {column!r})")
    for name in meta["class_names"]:
        print(f"  {name}: {int(counts.get(name, 0))}")
    return 0
