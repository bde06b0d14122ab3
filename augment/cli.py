"""The `augment` console script. Owns the terminal: tables, progress bars, exit codes.

Exit codes: 0 ok, 2 usage or bad input (one line naming what is wrong), 1 failure.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from augment.exceptions import AugmentError


def _env_defaults() -> None:
    # no network here: no analytics, no update checks
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")
    os.environ.setdefault("DO_NOT_TRACK", "1")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="augment", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run the augmentation flow (default: imbalanced digits demo)")
    run.add_argument("config", nargs="?", help="YAML run config (optional)")
    run.add_argument("--data", help="CSV/Parquet file, image folder or builtin:NAME")
    run.add_argument("--label", help="label column of a table")
    run.add_argument("--epochs", type=int, help="GAN training epochs")
    run.add_argument("--seeds", type=int, help="classifier seeds per arm")
    run.add_argument(
        "--arms", help="comma-separated arms: baseline,gan,smote,oracle,classical,gan+classical"
    )
    run.add_argument(
        "--classifier", help="auto (cnn for images), cnn, random_forest or logistic_regression"
    )
    run.add_argument("--json", dest="json_path", help="write the JSON summary here")
    run.add_argument("--no-progress", action="store_true", help="hide progress bars")
    sub.add_parser("datasets", help="list built-in datasets")
    return p


def _cmd_datasets() -> int:
    from augment.data import BUILTINS

    for name, (desc, _) in BUILTINS.items():
        print(f"builtin:{name:<15} {desc}")
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    from augment.config import load_config
    from augment.report import check_writable, comparison_table, write_json_atomic

    overrides = {
        "data.source": args.data,
        "data.label": args.label,
        "gan.epochs": args.epochs,
        "seeds": args.seeds,
        "arms": args.arms.split(",") if args.arms else None,
        "classifier": args.classifier,
    }
    cfg = load_config(args.config, overrides)
    if args.json_path:
        check_writable(args.json_path)
    # validate the data before Prefect or MLflow start (bad input leaves nothing behind)
    from augment.balance import balance_plan
    from augment.experiment import check_arms, prepare

    _, splits = prepare(cfg.data)
    check_arms(cfg.arms, splits)
    balance_plan(splits.train.y, cfg.sampling_strategy)

    from flows.augmentation import augmentation_flow

    summary = augmentation_flow(cfg, progress=not args.no_progress)
    print()
    print(comparison_table(summary))
    print(f"\nMLflow run {summary['mlflow_run_id']} (experiment {summary['experiment']!r})")
    if args.json_path:
        write_json_atomic(summary, args.json_path)
        print(f"summary written to {args.json_path}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    _env_defaults()
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        if args.command == "datasets":
            return _cmd_datasets()
        return _cmd_run(args)
    except AugmentError as err:
        print(f"augment: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("augment: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
