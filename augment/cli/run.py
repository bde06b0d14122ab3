"""``augment run``: check everything, run the flow, print the comparison, write the outputs."""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from augment.cli.boundary import note

MIN_SEEDS = 3  # below this a t interval over seeds is too wide to read
MIN_TEST_PER_CLASS = 10  # test rows of the smallest class below which recall moves in big steps
QUICK = {"gan.epochs": 30, "seeds": 3, "gan.seeds": 1}  # --quick


def add_parser(sub, verbose: argparse.ArgumentParser) -> None:
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
    run.add_argument(
        "--imbalance-classes",
        help="comma-separated classes to cut for an induced-imbalance experiment (the rest of"
        " their train rows become the oracle arm's); 'none' for no cut",
    )
    run.add_argument(
        "--imbalance-fraction", type=float, help="share of their train rows the cut classes keep"
    )
    run.add_argument(
        "--test-size", type=float, help="share of rows held out as the real test split"
    )
    run.add_argument(
        "--discrete", help="comma-separated columns to treat as categories (e.g. integer codes)"
    )
    run.add_argument(
        "--quick",
        action="store_true",
        help=f"a first look in about a minute: {', '.join(f'{k}={v}' for k, v in QUICK.items())}"
        " (flags given beside it win)",
    )
    run.add_argument("--epochs", type=int, help="GAN training epochs")
    run.add_argument("--seeds", type=int, help="classifier seeds per arm")
    run.add_argument(
        "--gan-seeds",
        type=int,
        help="generators (GAN seeds) per run; seed s of a GAN arm uses generator s mod K",
    )
    run.add_argument("--arms", action=_ArmsOption)
    run.add_argument(
        "--classifier",
        help="auto (cnn for images, random_forest for tables), cnn, random_forest,"
        " logistic_regression or hist_gradient_boosting",
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
    run.add_argument(
        "--retrain", action="store_true", help="train the GAN again even if a cached one matches"
    )
    run.add_argument("--runner", choices=["thread", "dask"], help="task runner for arms x seeds")
    run.add_argument("--dask-address", help="Dask scheduler address (default: a LocalCluster)")
    run.add_argument("--cache-dir", help="where fitted GANs are cached (default .augment/cache)")
    run.set_defaults(handler=command)


class _ArmsOption(argparse.Action):
    """``--arms``, whose help names the registered arms: built when help is printed, since the
    registry imports every arm (scikit-learn, SciPy: ~1 CPU s that every command, a refusal
    too, would pay when the parser is built)."""

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        setattr(namespace, self.dest, values)

    @property
    def help(self) -> str:
        return _arms_help()

    @help.setter
    def help(self, _value) -> None:  # argparse.Action.__init__ assigns it
        pass


def _arms_help() -> str:
    from augment.arms import default_names, names

    extra = [a for a in names() if a not in default_names()]
    return (
        f"comma-separated arms (default: {','.join(default_names())}; also: {','.join(extra)};"
        " `augment arms` describes them)"
    )


def _arm_list(text: str) -> list[str]:
    from augment.exceptions import ConfigError

    arms = [a.strip() for a in text.split(",") if a.strip()]
    if not arms:
        raise ConfigError(f"--arms {text!r} names no arm; e.g. --arms baseline,gan,smote")
    return arms


def _names(text: str | None, flag: str) -> list[str] | None:
    """A comma-separated list of names (labels or columns) as written; 'none' is empty."""
    from augment.exceptions import ConfigError

    if text is None:
        return None
    if text.strip().lower() == "none":
        return []
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise ConfigError(f"{flag} {text!r} names nothing; e.g. {flag} a,b (or none)")
    return names


def _overrides(args: argparse.Namespace) -> dict:
    given = {
        "data.source": args.data,
        "data.imbalance_classes": _names(args.imbalance_classes, "--imbalance-classes"),
        "data.imbalance_fraction": args.imbalance_fraction,
        "data.test_size": args.test_size,
        "data.discrete": _names(args.discrete, "--discrete"),
        "data.label": args.label,
        "data.missing": args.missing,
        "gan.epochs": args.epochs,
        "seeds": args.seeds,
        "gan.seeds": args.gan_seeds,
        "arms": None if args.arms is None else _arm_list(args.arms),
        "classifier": args.classifier,
        "orchestration.retrain": True if args.retrain else None,
        "orchestration.runner": args.runner,
        "orchestration.dask_address": args.dask_address,
        "orchestration.cache_dir": args.cache_dir,
    }
    if args.quick:
        given.update({k: v for k, v in QUICK.items() if given.get(k) is None})
    return given


def claim_outputs(args: argparse.Namespace, cfg, tracking) -> tuple[Path | None, Path | None]:
    """``--json`` and ``--report`` (default: beside ``--json`` as .html), checked against the
    inputs, the store, the cache and each other before any work."""
    from augment.outputs import Outputs

    outputs = Outputs(force=args.force)
    outputs.protect(cfg.data.source, f"the input data {cfg.data.source}")
    outputs.protect(args.config, f"the config file {args.config}")
    outputs.protect(cfg.orchestration.cache_dir, f"the cache folder {cfg.orchestration.cache_dir}")
    if tracking.store_path is not None:
        outputs.protect(tracking.store_path, f"the tracking store {tracking.store_path}")
    json_path = outputs.file(args.json_path, "--json") if args.json_path else None
    report = args.report
    if report is None and json_path is not None:
        report = str(Path(args.json_path).with_suffix(".html"))
        flag = "--report (beside --json)"
    else:
        flag = "--report"
    report_path = outputs.file(report, flag) if report else None
    return json_path, report_path


def _say_skipped(prepared, explicit: bool) -> None:
    """One stderr line per arm that cannot run; image-only arms of the default list are
    skipped on tables without a word (they were not asked for)."""
    from augment.arms import get

    kind = prepared.splits.train.kind
    for arm, reason in prepared.skipped.items():
        if explicit or kind in get(arm).kinds:
            note(f"augment: skipping the {arm} arm: {reason}")


def _say_precision(prepared) -> None:
    """A stderr line when the intervals will rest on too little: few seeds, a tiny test split."""
    import numpy as np

    n_seeds = prepared.cfg.n_classifier_seeds
    if n_seeds < MIN_SEEDS:
        note(
            f"augment: note: {n_seeds} seed(s): the 95% intervals rest on {n_seeds}"
            f" value(s) per arm and are wide (or a single point); use --seeds {MIN_SEEDS} or"
            " more to compare arms"
        )
    test = prepared.splits.test
    counts = np.bincount(test.y, minlength=test.n_classes)
    if counts.min() < MIN_TEST_PER_CLASS:
        name = test.class_names[int(counts.argmin())]
        note(
            f"augment: note: the test split has {int(counts.min())} row(s) of class {name!r}:"
            f" each of its test rows moves that class's recall by {1 / counts.min():.0%}"
        )


def command(args: argparse.Namespace) -> int:
    from augment.tracking.config import load_tracking_config as tracking_config
    from augment.tracking.probe import check_store

    # first, before the heavy imports: an unusable store or server exits 2 in seconds
    check_store(tracking_config(), write=True)
    from augment.cli.boundary import stop_on_sigterm
    from augment.config import load_config
    from augment.experiment.preflight import preflight
    from augment.experiment.summary import Summary
    from augment.outputs import write_json_atomic
    from augment.table import comparison_table
    from augment.tracking import load_tracking_config

    cfg = load_config(args.config, _overrides(args))
    # named at the end as resolved now: during the run MLflow exports the URI it was given to
    # MLFLOW_TRACKING_URI, so resolving again would credit that variable
    tracking = load_tracking_config()
    json_path, report = claim_outputs(args, cfg, tracking)
    stop_on_sigterm()
    from flows.local import LocalSession

    # the temporary Prefect server boots while the checks run; its state in the cache folder
    with LocalSession(Path(cfg.orchestration.cache_dir) / "prefect", echo=args.verbose) as session:
        # every check before the flow or MLflow start: bad input leaves no run and no file
        prepared = preflight(cfg)
        _say_skipped(prepared, explicit="arms" in cfg.model_fields_set)
        _say_precision(prepared)
        summary = Summary.from_json(session.run(prepared, progress=not args.no_progress))
    print()
    print(comparison_table(summary))
    print(f"\nMLflow run {summary.mlflow_run_id} (experiment {summary.experiment!r})")
    print(f"tracking store: {tracking.describe()}")
    if json_path is not None:
        write_json_atomic(summary.to_json(), json_path)
        print(f"summary written to {args.json_path}")
    if report is not None:
        from augment.atomic import atomic_write

        atomic_write(report, lambda tmp: shutil.copyfile(summary.report, tmp))
        print(f"report written to {args.report or Path(args.json_path).with_suffix('.html')}")
    else:
        print(f"report: {summary.report}")
    return 0
