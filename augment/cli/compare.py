"""``augment compare``: the arms of the last runs, read back from MLflow (nothing written)."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_parser(sub, verbose: argparse.ArgumentParser) -> None:
    cmp_ = sub.add_parser(
        "compare", parents=[verbose], help="compare arms of the last runs read back from MLflow"
    )
    cmp_.add_argument("--experiment", help="MLflow experiment (default: mlflow.yml's)")
    cmp_.add_argument("--last", type=int, default=5, help="how many recent runs (default 5)")
    cmp_.add_argument("--plot", help="write a PNG of balanced accuracy per arm here")
    cmp_.add_argument("--metric", default="balanced_accuracy", help="metric of the plot")
    cmp_.add_argument("--dataset", help="only runs on this dataset (e.g. builtin:wine)")
    cmp_.add_argument("--force", action="store_true", help="replace an existing --plot file")
    cmp_.set_defaults(handler=command)


MAX_LAST = 10_000


def command(args: argparse.Namespace) -> int:
    from augment.tracking.config import load_tracking_config as tracking_config
    from augment.tracking.probe import check_store

    # first, before the heavy imports: an unusable store or server exits 2 in seconds
    check_store(tracking_config(), write=False)
    from dataclasses import replace

    from augment.evaluate import METRICS
    from augment.exceptions import ConfigError
    from augment.outputs import Outputs
    from augment.tracking import comparison, load_tracking_config
    from augment.tracking.config import require_store

    if not 1 <= args.last <= MAX_LAST:
        raise ConfigError(f"--last must be between 1 and {MAX_LAST}, got {args.last}")
    if args.metric not in METRICS:
        raise ConfigError(f"--metric {args.metric!r} is not a metric; use one of {list(METRICS)}")
    cfg = load_tracking_config()
    if args.experiment:
        cfg = replace(cfg, experiment=args.experiment)
    plot = None
    if args.plot:
        outputs = Outputs(force=args.force)
        if cfg.store_path is not None:
            outputs.protect(cfg.store_path, f"the tracking store {cfg.store_path}")
        plot = outputs.file(args.plot, "--plot", suffixes=(".png",))
    require_store(cfg)
    runs = comparison(cfg, args.last, args.dataset)  # read-only: writes nothing
    if not runs:
        of = f" on dataset {args.dataset!r}" if args.dataset else ""
        print(f"no finished augment runs{of} in experiment {cfg.experiment!r} at {cfg.describe()}")
        return 0
    from augment.table import runs_table

    print(runs_table(runs))
    if plot is not None:
        from augment import plots

        plots.compare_runs(runs, args.metric, Path(plot))
        print(f"\nplot written to {args.plot}")
    return 0
