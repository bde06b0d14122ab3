"""The `augment` console script. Owns the terminal: tables, progress bars, exit codes.

Exit codes: 0 ok, 2 usage or bad input (one line naming what is wrong), 1 failure.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from collections.abc import Sequence

from augment.exceptions import AugmentError


def _env_defaults() -> None:
    # no network here: no analytics, no update checks
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    # arms x seeds already run in parallel tasks; torch's default of one OpenMP thread per core
    # in every task oversubscribes the CPU (measured: 7 ms -> 425 ms per CNN step on 2 cores).
    # Set OMP_NUM_THREADS yourself to give each task more threads.
    os.environ.setdefault("OMP_NUM_THREADS", "1")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="augment", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run the augmentation flow (default: imbalanced digits demo)")
    run.add_argument("config", nargs="?", help="YAML run config (optional)")
    run.add_argument("--data", help="CSV/Parquet file, image folder or builtin:NAME")
    run.add_argument("--label", help="label column of a table")
    run.add_argument(
        "--missing",
        choices=["error", "drop", "impute"],
        help="NaN/inf features: error (default), drop the rows, impute (median / most frequent)",
    )
    run.add_argument("--epochs", type=int, help="GAN training epochs")
    run.add_argument("--seeds", type=int, help="classifier seeds per arm")
    run.add_argument(
        "--gan-seeds",
        type=int,
        help="generators (GAN seeds) per run; seed s of a GAN arm uses generator s mod K",
    )
    run.add_argument(
        "--arms", help="comma-separated arms: baseline,gan,smote,oracle,classical,gan+classical"
    )
    run.add_argument(
        "--classifier", help="auto (cnn for images), cnn, random_forest or logistic_regression"
    )
    run.add_argument("--json", dest="json_path", help="write the JSON summary here")
    run.add_argument("--force", action="store_true", help="replace an existing --json file")
    run.add_argument("--no-progress", action="store_true", help="hide progress bars")
    _add_orchestration_args(run)
    sub.add_parser("datasets", help="list built-in datasets")
    _add_mlops_parsers(sub)
    return p


def _add_orchestration_args(run: argparse.ArgumentParser) -> None:
    run.add_argument(
        "--retrain", action="store_true", help="train the GAN again even if a cached one matches"
    )
    run.add_argument("--runner", choices=["thread", "dask"], help="task runner for arms x seeds")
    run.add_argument("--dask-address", help="Dask scheduler address (default: a LocalCluster)")
    run.add_argument("--cache-dir", help="where fitted GANs are cached (default .augment/cache)")


def _orchestration_overrides(args: argparse.Namespace) -> dict:
    return {
        "orchestration.retrain": True if args.retrain else None,
        "orchestration.runner": args.runner,
        "orchestration.dask_address": args.dask_address,
        "orchestration.cache_dir": args.cache_dir,
    }


def _add_mlops_parsers(sub) -> None:
    gen = sub.add_parser("generate", help="sample from a logged generator (MLflow model URI)")
    gen.add_argument("model_uri", help="e.g. runs:/<run id>/generator or models:/<name>@current")
    gen.add_argument("--n", type=int, required=True, help="samples per class")
    gen.add_argument(
        "--class", dest="classes", action="append", help="class name (repeat; default: all)"
    )
    gen.add_argument("--out", required=True, help=".csv/.parquet (tables) or a folder (images)")
    gen.add_argument("--seed", type=int, default=0, help="random seed of the draw")
    gen.add_argument("--force", action="store_true", help="replace an existing output")
    cmp_ = sub.add_parser("compare", help="compare arms of the last runs read back from MLflow")
    cmp_.add_argument("--experiment", help="MLflow experiment (default: mlflow.yml's)")
    cmp_.add_argument("--last", type=int, default=5, help="how many recent runs (default 5)")
    cmp_.add_argument("--plot", help="write a PNG of balanced accuracy per arm here")
    cmp_.add_argument("--metric", default="balanced_accuracy", help="metric of the plot")
    srv = sub.add_parser("serve", help="serve the flow as a scheduled Prefect deployment")
    srv.add_argument("config", nargs="?", help="YAML run config: the deployment's parameters")
    when = srv.add_mutually_exclusive_group()
    when.add_argument("--cron", help="cron schedule, e.g. '0 3 * * *'")
    when.add_argument("--interval", type=float, help="run every SECONDS")
    srv.add_argument("--name", default="augment-scheduled", help="deployment name")


def _cmd_datasets() -> int:
    from augment.data import BUILTINS

    for name, (desc, _) in BUILTINS.items():
        print(f"builtin:{name:<15} {desc}")
    return 0


def _arm_list(text: str) -> list[str]:
    from augment.exceptions import ConfigError

    arms = [a.strip() for a in text.split(",") if a.strip()]
    if not arms:
        raise ConfigError(f"--arms {text!r} names no arm; e.g. --arms baseline,gan,smote")
    return arms


class Terminated(SystemExit):
    """Raised in the main thread on SIGTERM; exits 143 (128 + SIGTERM) after cleanup."""


def _terminated(signum: int, frame: object) -> None:
    raise Terminated(128 + signum)


def _check_cache_dir(path: str) -> None:
    """The cache folder is a folder (or can be made) and writable: exit 2 now, not a traceback."""
    from pathlib import Path

    from augment.exceptions import ConfigError

    p = Path(path).expanduser().resolve()
    if p.exists() and not p.is_dir():
        raise ConfigError(f"cache dir {path} is a file; give a folder (--cache-dir)")
    while not p.exists() and p != p.parent:
        p = p.parent
    if not p.is_dir() or not os.access(p, os.W_OK | os.X_OK):
        raise ConfigError(f"cache dir {path} cannot be created or written ({p} is not writable)")


def _cmd_run(args: argparse.Namespace) -> int:
    from augment.config import load_config
    from augment.exceptions import ConfigError
    from augment.report import check_not_input, check_writable, comparison_table, write_json_atomic

    overrides = {
        "data.source": args.data,
        "data.label": args.label,
        "data.missing": args.missing,
        "gan.epochs": args.epochs,
        "seeds": args.seeds,
        "gan.seeds": args.gan_seeds,
        "arms": None if args.arms is None else _arm_list(args.arms),
        "classifier": args.classifier,
    }
    overrides |= _orchestration_overrides(args)
    cfg = load_config(args.config, overrides)
    if args.json_path:
        check_writable(args.json_path)
        check_not_input(args.json_path, [cfg.data.source, args.config])
        if os.path.exists(args.json_path) and not args.force:
            raise ConfigError(f"--json {args.json_path} already exists; pass --force to replace it")
    # validate the data before Prefect or MLflow start (bad input leaves nothing behind)
    from augment.balance import balance_plan
    from augment.experiment import check_arms, prepare

    _, splits = prepare(cfg.data)
    check_arms(cfg.arms, splits, cfg.classifier)
    balance_plan(splits.train.y, cfg.sampling_strategy, splits.train.class_names)
    # and the places results go: tracking store and checkpoint folder, in seconds
    from augment.tracking import check_reachable, load_tracking_config

    check_reachable(load_tracking_config())
    if cfg.gan.checkpoint_dir and "gan" in cfg.arms:
        from augment.gan.checkpoint import check_checkpoint_dir

        check_checkpoint_dir(cfg.gan.checkpoint_dir)

    _check_cache_dir(cfg.orchestration.cache_dir)
    # SIGTERM (timeout, systemd, docker stop) unwinds like Ctrl-C: the flow marks its MLflow
    # run FAILED and Prefect's temporary API server is stopped on the way out
    signal.signal(signal.SIGTERM, _terminated)

    from flows.augmentation import augmentation_flow

    summary = augmentation_flow(cfg, progress=not args.no_progress)
    print()
    print(comparison_table(summary))
    print(f"\nMLflow run {summary['mlflow_run_id']} (experiment {summary['experiment']!r})")
    if args.json_path:
        write_json_atomic(summary, args.json_path)
        print(f"summary written to {args.json_path}")
    return 0


def _cmd_generate(args: argparse.Namespace) -> int:
    import pandas as pd

    from augment import export
    from augment.exceptions import ConfigError, InvalidDataError
    from augment.tracking import load_generator, load_tracking_config

    if args.n < 1:
        raise ConfigError(f"--n must be >= 1, got {args.n}")
    if os.path.exists(args.out) and not args.force:  # before any download
        raise ConfigError(f"output {args.out} already exists; pass --force to replace it")
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    model, meta = load_generator(args.model_uri, load_tracking_config())
    names = meta["class_names"]
    classes = list(dict.fromkeys(args.classes or names))
    unknown = [c for c in classes if c not in names]
    if unknown:
        raise InvalidDataError(f"unknown class(es) {unknown}; the generator knows {names}")
    image = meta.get("kind") == "image"
    if image:
        export.check_folder_target(args.out, args.force)
    else:
        export.check_table_target(args.out, args.force)
    request = pd.DataFrame({"class": classes, "n": [args.n] * len(classes)})
    samples = model.predict(request, params={"random_state": args.seed})
    if image:
        shape = [len(samples), *meta["image_shape"]]
        pixels = samples.drop(columns="class").to_numpy(dtype="float32").reshape(shape)
        export.write_image_folder(pixels, samples["class"].tolist(), args.out, args.force)
    else:
        label = meta.get("label") or "class"
        table = samples.drop(columns="class").assign(**{label: samples["class"].to_numpy()})
        export.write_table(table, args.out, args.force)
    counts = samples["class"].value_counts()
    print(f"wrote {len(samples)} synthetic sample(s) to {args.out}")
    for c in classes:
        print(f"  {c}: {int(counts.get(c, 0))}")
    return 0


def _compare_table(runs: list[dict]) -> str:
    """One block per run: arms as rows, metrics as columns, mean±std [95% CI]."""
    from augment.evaluate import METRICS

    blocks = []
    for run in runs:
        head = ["arm", *METRICS]
        rows = [head]
        for arm, aggs in run["arms"].items():
            cells = [arm]
            for m in METRICS:
                a = aggs.get(m)
                cells.append(
                    ""
                    if a is None
                    else f"{a['mean']:.3f}±{a['std']:.3f} [{a['ci95'][0]:.3f},{a['ci95'][1]:.3f}]"
                )
            rows.append(cells)
        widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
        lines = [
            "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows
        ]
        lines.insert(1, "  ".join("-" * w for w in widths))
        started = run["start_time"]
        title = f"run {run['run_id']} ({run.get('run_name') or ''}) dataset {run['dataset']}"
        blocks.append(f"{title}, started {started:%Y-%m-%d %H:%M:%S}\n" + "\n".join(lines))
    return "\n\n".join(blocks)


def _cmd_compare(args: argparse.Namespace) -> int:
    from dataclasses import replace
    from pathlib import Path

    from augment.exceptions import ConfigError
    from augment.tracking import Tracker, load_tracking_config

    if args.last < 1:
        raise ConfigError(f"--last must be >= 1, got {args.last}")
    if args.plot:
        from augment.report import check_writable

        check_writable(args.plot)
    cfg = load_tracking_config()
    if args.experiment:
        cfg = replace(cfg, experiment=args.experiment)
    runs = Tracker(cfg).comparison(args.last)
    if not runs:
        print(f"no finished augment runs in experiment {cfg.experiment!r}")
        return 0
    print(_compare_table(runs))
    if args.plot:
        from augment import plots

        plots.compare_runs(runs, args.metric, Path(args.plot))
        print(f"\nplot written to {args.plot}")
    return 0


def _cmd_serve(args: argparse.Namespace) -> int:
    from prefect.settings import get_current_settings

    from augment.config import load_config
    from augment.exceptions import ConfigError

    cfg = load_config(args.config)
    if args.interval is not None and args.interval <= 0:
        raise ConfigError(f"--interval must be > 0 seconds, got {args.interval}")
    if not get_current_settings().api.url:
        raise ConfigError(
            "serving needs a Prefect server: run `prefect server start` and set PREFECT_API_URL "
            "(e.g. http://127.0.0.1:4200/api)"
        )
    from augment.experiment import prepare

    prepare(cfg.data)  # bad data fails now, not at the first scheduled run
    from flows.augmentation import augmentation_flow

    augmentation_flow.serve(
        name=args.name,
        parameters={"config": cfg.model_dump(mode="json")},
        cron=args.cron,
        interval=args.interval,
        pause_on_shutdown=False,
        tags=["augment"],
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    _env_defaults()
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("augment.gan.checkpoint").setLevel(logging.INFO)  # say when it resumes
    try:
        if args.command == "datasets":
            return _cmd_datasets()
        if args.command in ("generate", "compare", "serve"):
            return {"generate": _cmd_generate, "compare": _cmd_compare, "serve": _cmd_serve}[
                args.command
            ](args)
        return _cmd_run(args)
    except AugmentError as err:
        print(f"augment: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("augment: interrupted", file=sys.stderr)
        return 130
    except Terminated as stop:
        print("augment: terminated (SIGTERM); the MLflow run is marked FAILED", file=sys.stderr)
        return int(stop.code)


if __name__ == "__main__":
    sys.exit(main())
