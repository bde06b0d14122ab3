"""The `augment` console script. Owns the terminal: tables, progress bars, exit codes.

Exit codes: 0 ok, 2 usage or bad input (one line naming what is wrong), 1 failure.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

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


def _quiet_third_party(verbose: bool) -> None:
    """Prefect's per-task state lines, MLflow's INFO lines, artifact progress bars and the
    libraries' UserWarnings stay off the terminal unless ``-v`` asks for them."""
    if verbose:
        return
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    import warnings

    warnings.filterwarnings("ignore", module=r"(mlflow|prefect|pydantic|albumentations)(\.|$)")


def _hide_no_space_tracebacks() -> None:
    """A full disk is said once by `main`, not also as Prefect's and MLflow's tracebacks."""
    from augment.nospace import HideNoSpaceTracebacks

    hide = HideNoSpaceTracebacks()
    for handler in logging.getLogger().handlers:
        handler.addFilter(hide)
    for name in ("prefect.flow_runs", "prefect.task_runs", "mlflow.store.db.utils"):
        logging.getLogger(name).addFilter(hide)


def _parser() -> argparse.ArgumentParser:
    from augment import __version__

    p = argparse.ArgumentParser(prog="augment", description=__doc__.splitlines()[0])
    p.add_argument("--version", action="version", version=f"augment {__version__}")
    verbose = argparse.ArgumentParser(add_help=False)
    verbose.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="also show Prefect's and MLflow's own log lines and warnings",
    )
    sub = p.add_subparsers(dest="command", required=True)
    run = sub.add_parser(
        "run",
        parents=[verbose],
        help="run the augmentation flow (default: imbalanced digits demo)",
    )
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
    run.add_argument("--arms", help=_arms_help())
    run.add_argument(
        "--classifier", help="auto (cnn for images), cnn, random_forest or logistic_regression"
    )
    run.add_argument("--json", dest="json_path", help="write the JSON summary here")
    run.add_argument(
        "--report",
        help="write the HTML report here (default: beside --json as .html, else only the copy"
        " under the cache folder, whose path is printed)",
    )
    run.add_argument(
        "--force", action="store_true", help="replace an existing --json / --report file"
    )
    run.add_argument("--no-progress", action="store_true", help="hide progress bars")
    _add_orchestration_args(run)
    sub.add_parser("datasets", help="list built-in datasets")
    sub.add_parser("arms", help="list the arms a run can compare")
    _add_mlops_parsers(sub, verbose)
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


def _add_mlops_parsers(sub, verbose: argparse.ArgumentParser) -> None:
    gen = sub.add_parser(
        "generate", parents=[verbose], help="sample from a logged generator (MLflow model URI)"
    )
    gen.add_argument("model_uri", help="e.g. runs:/<run id>/generator or models:/<name>@current")
    gen.add_argument("--n", type=int, required=True, help="samples per class")
    gen.add_argument(
        "--class", dest="classes", action="append", help="class name (repeat; default: all)"
    )
    gen.add_argument("--out", required=True, help=".csv/.parquet (tables) or a folder (images)")
    gen.add_argument("--seed", type=int, default=0, help="random seed of the draw")
    gen.add_argument("--force", action="store_true", help="replace an existing output")
    cmp_ = sub.add_parser(
        "compare", parents=[verbose], help="compare arms of the last runs read back from MLflow"
    )
    cmp_.add_argument("--experiment", help="MLflow experiment (default: mlflow.yml's)")
    cmp_.add_argument("--last", type=int, default=5, help="how many recent runs (default 5)")
    cmp_.add_argument("--plot", help="write a PNG of balanced accuracy per arm here")
    cmp_.add_argument("--metric", default="balanced_accuracy", help="metric of the plot")
    cmp_.add_argument("--dataset", help="only runs on this dataset (e.g. builtin:wine)")
    ui = sub.add_parser(
        "ui", parents=[verbose], help="open the MLflow UI on the runs' tracking store"
    )
    ui.add_argument("--host", default="127.0.0.1", help="interface (default: loopback only)")
    ui.add_argument("--port", type=int, default=0, help="port (default: a free one)")
    srv = sub.add_parser(
        "serve", parents=[verbose], help="serve the flow as a scheduled Prefect deployment"
    )
    srv.add_argument("config", nargs="?", help="YAML run config: the deployment's parameters")
    when = srv.add_mutually_exclusive_group()
    when.add_argument("--cron", help="cron schedule, e.g. '0 3 * * *'")
    when.add_argument("--interval", type=float, help="run every SECONDS")
    srv.add_argument("--name", default="augment-scheduled", help="deployment name")


def _arms_help() -> str:
    from augment.arms import default_names, names

    extra = [a for a in names() if a not in default_names()]
    return (
        f"comma-separated arms (default: {','.join(default_names())}; also: {','.join(extra)};"
        " `augment arms` describes them)"
    )


def _cmd_arms() -> int:
    from augment.arms import get, names

    for name in names():
        arm = get(name)
        flags = [k for k, on in (("default", arm.default), ("GAN", arm.uses_generator)) if on]
        kinds = "tables and images" if len(arm.kinds) == 2 else f"{arm.kinds[0]}s only"
        print(f"{name:<18} {arm.help} [{', '.join([kinds, *flags])}]")
    return 0


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


def _say_skipped(prepared, explicit: bool) -> None:
    """One stderr line per arm that cannot run; image-only arms of the default list are
    skipped on tables without a word (they were not asked for)."""
    from augment.arms import get

    kind = prepared.splits.train.kind
    for arm, reason in prepared.skipped.items():
        if explicit or kind in get(arm).kinds:
            print(f"augment: skipping the {arm} arm: {reason}", file=sys.stderr)


MIN_SEEDS = 3  # below this a t interval over seeds is too wide to read
MIN_TEST_PER_CLASS = 10  # test rows of the smallest class below which recall moves in big steps


def _say_precision(prepared) -> None:
    """A stderr line when the intervals will rest on too little: few seeds, a tiny test split."""
    import numpy as np

    seeds = prepared.cfg.seeds
    if seeds < MIN_SEEDS:
        print(
            f"augment: note: {seeds} seed(s): the 95% intervals rest on {seeds} value(s) per arm"
            f" and are wide (or a single point); use --seeds {MIN_SEEDS} or more to compare"
            " arms",
            file=sys.stderr,
        )
    test = prepared.splits.test
    counts = np.bincount(test.y, minlength=test.n_classes)
    if counts.min() < MIN_TEST_PER_CLASS:
        name = test.class_names[int(counts.argmin())]
        print(
            f"augment: note: the test split has {int(counts.min())} row(s) of class {name!r}:"
            f" each of its test rows moves that class's recall by {1 / counts.min():.0%}",
            file=sys.stderr,
        )


def _cmd_run(args: argparse.Namespace) -> int:
    from augment.config import load_config
    from augment.outputs import check_json_target, write_json_atomic
    from augment.preflight import preflight
    from augment.table import comparison_table
    from augment.tracking import load_tracking_config

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
    # named at the end as resolved now: during the run MLflow exports the URI it was given to
    # MLFLOW_TRACKING_URI, so resolving again would credit that variable
    tracking = load_tracking_config()
    inputs = [cfg.data.source, args.config]
    if args.json_path:
        check_json_target(args.json_path, inputs, args.force)
    report = args.report
    if report is None and args.json_path:
        report = str(Path(args.json_path).with_suffix(".html"))
    if report:
        check_json_target(report, inputs, args.force, flag="--report")
    # SIGTERM (timeout, systemd, docker stop) unwinds like Ctrl-C: the flow marks its MLflow
    # run FAILED and Prefect's temporary API server is stopped on the way out
    signal.signal(signal.SIGTERM, _terminated)
    from flows.server import start_temporary_api

    # boots while the checks run (None: a server is configured); its state in the cache folder
    api = start_temporary_api(
        Path(cfg.orchestration.cache_dir) / "prefect", echo=getattr(args, "verbose", False)
    )
    try:
        # every check before the flow or MLflow start: bad input leaves no run and no file
        try:
            prepared = preflight(cfg)
        except BaseException:
            if api is not None:
                api.discard()  # not even the temporary server's state folder
            raise
        _say_skipped(prepared, explicit="arms" in cfg.model_fields_set)
        _say_precision(prepared)
        from flows.augmentation import run_checked

        summary = run_checked(prepared, progress=not args.no_progress, api=api)
    finally:
        if api is not None:
            api.stop()
    print()
    print(comparison_table(summary))
    print(f"\nMLflow run {summary['mlflow_run_id']} (experiment {summary['experiment']!r})")
    print(f"tracking store: {tracking.describe()}")
    if args.json_path:
        write_json_atomic(summary, args.json_path)
        print(f"summary written to {args.json_path}")
    if report:
        from augment.atomic import atomic_write

        atomic_write(report, lambda tmp: shutil.copyfile(summary["report"], tmp))
        print(f"report written to {report}")
    else:
        print(f"report: {summary['report']}")
    return 0


def _cmd_generate(args: argparse.Namespace) -> int:
    import pandas as pd

    from augment import export
    from augment.exceptions import ConfigError, InvalidDataError
    from augment.tracking import load_generator, load_tracking_config
    from augment.tracking.config import require_store

    if args.n < 1:
        raise ConfigError(f"--n must be >= 1, got {args.n}")
    if os.path.exists(args.out) and not args.force:  # before any download
        raise ConfigError(f"output {args.out} already exists; pass --force to replace it")
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    tracking = load_tracking_config()
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


def _cmd_compare(args: argparse.Namespace) -> int:
    from dataclasses import replace
    from pathlib import Path

    from augment.evaluate import METRICS
    from augment.exceptions import ConfigError
    from augment.tracking import Tracker, load_tracking_config
    from augment.tracking.config import require_store

    if args.last < 1:
        raise ConfigError(f"--last must be >= 1, got {args.last}")
    if args.metric not in METRICS:
        raise ConfigError(f"--metric {args.metric!r} is not a metric; use one of {list(METRICS)}")
    if args.plot:
        from augment.outputs import check_writable

        check_writable(args.plot)
    cfg = load_tracking_config()
    if args.experiment:
        cfg = replace(cfg, experiment=args.experiment)
    require_store(cfg)
    runs = Tracker(cfg).comparison(args.last, args.dataset)
    if not runs:
        of = f" on dataset {args.dataset!r}" if args.dataset else ""
        print(f"no finished augment runs{of} in experiment {cfg.experiment!r} at {cfg.describe()}")
        return 0
    from augment.table import runs_table

    print(runs_table(runs))
    if args.plot:
        from augment import plots

        plots.compare_runs(runs, args.metric, Path(args.plot))
        print(f"\nplot written to {args.plot}")
    return 0


def _cmd_serve(args: argparse.Namespace) -> int:
    from augment.config import load_config
    from augment.exceptions import ConfigError

    cfg = load_config(args.config)
    if args.interval is not None and args.interval <= 0:
        raise ConfigError(f"--interval must be > 0 seconds, got {args.interval}")
    if args.cron is not None:
        from flows.schedule import check_cron

        check_cron(args.cron)
    from flows.server import configured

    if not configured():
        raise ConfigError(
            "serving needs a Prefect server: run `prefect server start` and set PREFECT_API_URL "
            "(e.g. http://127.0.0.1:4200/api)"
        )
    from augment.preflight import preflight

    preflight(cfg)  # bad data or settings fail now, not at the first scheduled run
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


def _cmd_ui(args: argparse.Namespace) -> int:
    """``mlflow ui`` on the store runs are tracked in, on loopback and a free port by default."""
    import socket
    import subprocess

    from augment.exceptions import ConfigError
    from augment.tracking import load_tracking_config
    from augment.tracking.config import require_store

    cfg = load_tracking_config()
    if cfg.tracking_uri.startswith(("http://", "https://")):
        print(f"runs are tracked on the server {cfg.describe()}: open it in a browser")
        return 0
    require_store(cfg)
    port = args.port
    if not 0 <= port < 65536:
        raise ConfigError(f"--port must be 0 (a free port) or 1-65535, got {port}")
    if port == 0:
        with socket.socket() as sock:
            sock.bind((args.host, 0))
            port = sock.getsockname()[1]
    cmd = [sys.executable, "-m", "mlflow", "ui", "--backend-store-uri", cfg.tracking_uri]
    cmd += ["--host", args.host, "--port", str(port), "--workers", "1"]
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        note = f"augment: note: serving on {args.host}: whoever reaches it reads every run"
        print(note, file=sys.stderr)
    print(f"MLflow UI for {cfg.describe()}", flush=True)
    print(f"  http://{args.host}:{port}  (Ctrl-C to stop)", flush=True)
    signal.signal(signal.SIGTERM, _terminated)
    # its own process group: the UI's server workers stop with it, whatever stops us
    quiet = None if args.verbose else subprocess.DEVNULL
    proc = subprocess.Popen(cmd, stdout=quiet, stderr=quiet, start_new_session=True)
    try:
        return proc.wait()
    except (KeyboardInterrupt, Terminated):
        for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
            try:
                os.killpg(proc.pid, sig)
                proc.wait(wait)
                break
            except ProcessLookupError:
                break
            except subprocess.TimeoutExpired:
                continue
        return 0


def main(argv: Sequence[str] | None = None) -> int:
    _env_defaults()
    args = _parser().parse_args(argv)
    _quiet_third_party(getattr(args, "verbose", False))
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("augment.gan.checkpoint").setLevel(logging.INFO)  # say when it resumes
    if not getattr(args, "verbose", False):
        _hide_no_space_tracebacks()
    try:
        if args.command == "datasets":
            return _cmd_datasets()
        if args.command == "arms":
            return _cmd_arms()
        commands = {
            "generate": _cmd_generate,
            "compare": _cmd_compare,
            "serve": _cmd_serve,
            "ui": _cmd_ui,
        }
        if args.command in commands:
            return commands[args.command](args)
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
    except Exception as err:
        from augment.nospace import out_of_space

        cause = out_of_space(err)
        if cause is None:
            raise
        print(_no_space_message(cause), file=sys.stderr)
        return 1


def _no_space_message(cause: BaseException) -> str:
    """One line for a run stopped by a full disk: the cause, and what became of the MLflow run."""
    from augment.nospace import describe

    text = f"augment: error: out of disk space: {describe(cause)}; free some space and run again"
    flow = sys.modules.get("flows.augmentation")  # imported only once a run has started
    run = flow.failed_run() if flow is not None else None
    if run is None:
        return text
    if run["marked_failed"]:
        return text + f" (the MLflow run {run['run_id']} is marked FAILED)"
    return text + (
        f" (the MLflow run {run['run_id']} could not be marked FAILED: the tracking store is on"
        " the full disk too; the next run marks it KILLED)"
    )


if __name__ == "__main__":
    sys.exit(main())
