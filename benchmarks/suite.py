"""The benchmark suite (docs/benchmarks.md, "Generalisation"): a thin CLI over `augment.suite`.

    OMP_NUM_THREADS=1 python -m benchmarks.suite --jobs 2          # the whole suite
    python -m benchmarks.suite --tables balance,builtin:wine --classifiers logistic_regression
    python -m benchmarks.suite --variant typical3=selection=typical,pool=3   # an extra gan arm
    python -m benchmarks.suite --variant mine=mymodule:make_sampler      # your own sampler

Arms are `augment run`'s (baseline, random_oversample, smote, class_weight, gan); the suite's
former names (none, random_oversampling, ours) are still read, in --from-jobs files too.

Variants (--variant NAME=SPEC, repeatable; each is one more generator arm beside gan):
  NAME=key=value[,key=value...]  `ConditionalGANOverSampler` with those parameters, e.g.
                                 selection=typical,pool=3 | selection=all | pac=1 | epochs=150
                                 | n_generators=2 | aux_weight=1.0 | class_packs=true
                                 | tune_estimator=classifier (the amount chosen by inner
                                 validation with the row's classifier).
                                 selection: a name of `augment.selection.SELECTORS` that
                                 the sampler takes (`augment.selection.SELECTIONS`).
  NAME=module:callable           `augment.suite.load_variant`: callable(seed) -> a sampler.
Every arm's generators are seeded alike, so variants that differ only in which rows they keep
(selection, pool) score rows of identical generators on identical folds.

KEEL tables are read from --keel-dir, else $AUGMENT_KEEL_DIR, else <data root>/keel (data root:
--data-root, $AUGMENT_DATA_ROOT or ../shared/data); without them only the built-in tables run.
Prints the table, writes benchmarks/results/suite.json and suite.png (the CD diagram) and logs
one MLflow experiment (a summary run + a run per table; --no-mlflow to skip).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # before numpy/torch load: one thread per job

from benchmarks import RESULTS, data_root, not_found  # noqa: E402

VARIANT_HELP = "NAME=key=value[,key=value] (sampler parameters) or NAME=module:callable"


def keel_folder(keel_dir: str | None, root: str | None) -> Path:
    """--keel-dir, else ``$AUGMENT_KEEL_DIR``, else ``<data root>/keel``."""
    if keel_dir:
        return Path(keel_dir)
    if os.environ.get("AUGMENT_KEEL_DIR"):
        from augment.suite import default_keel_dir

        return default_keel_dir()
    return data_root(root) / "keel"


def resolve_tables(spec: str | None, folder: Path) -> list[str]:
    """``name,name`` -> paths: KEEL file stems resolve in ``folder``; builtin:/paths as is.

    No ``spec``: every KEEL table in ``folder`` and the built-in tables (a one-line note on
    stderr when ``folder`` is absent). A named KEEL table that is not there ends the run.
    """
    from augment.suite import default_tables

    if not spec:
        if not folder.is_dir():
            print(not_found("KEEL tables", folder) + "; running the built-in tables only",
                  file=sys.stderr)  # fmt: skip
        return default_tables(folder)
    out = []
    for name in (s.strip() for s in spec.split(",") if s.strip()):
        if name.startswith("builtin:") or Path(name).is_file():
            out.append(name)
            continue
        path = folder / (name if name.endswith(".csv") else f"{name}.csv")
        if not path.is_file():
            raise SystemExit(not_found(f"table {name!r}", path))
        out.append(str(path))
    return out


def _value(text: str):
    """A parameter value: a JSON literal (3, 1.5, true, null) or else the string."""
    try:
        return json.loads(text.lower() if text.lower() in ("true", "false", "null") else text)
    except json.JSONDecodeError:
        return text


def variant_arm(spec: str):
    """``NAME=SPEC`` -> ``(NAME, Arm)``: an extra generator arm (see the module docstring).

    Raises
    ------
    augment.exceptions.ConfigError
        Malformed spec, an unknown sampler parameter or selection name.
    """
    from functools import partial

    from augment.exceptions import ConfigError
    from augment.sampler import ConditionalGANOverSampler
    from augment.selection import SELECTIONS, SELECTORS
    from augment.suite import Arm, gan_oversampler, load_variant
    from augment.suite.arms import TUNE_WITH_CLASSIFIER

    name, eq, rest = spec.partition("=")
    if not eq or not name or not rest:
        raise ConfigError(f"variant {spec!r}: expected {VARIANT_HELP}")
    if "=" not in rest:
        return load_variant(spec)
    params = {}
    for item in rest.split(","):
        key, eq, text = (s.strip() for s in item.partition("="))
        if not eq or not key:
            raise ConfigError(f"variant {spec!r}: {item!r} is not key=value")
        params[key] = _value(text)
    allowed = sorted(set(ConditionalGANOverSampler().get_params()) - {"random_state"})
    unknown = sorted(set(params) - set(allowed))
    if unknown:
        raise ConfigError(
            f"variant {spec!r}: unknown parameter(s) {', '.join(unknown)}; allowed: "
            f"{', '.join(allowed)} (random_state is the suite's)"
        )
    selection = params.get("selection", SELECTIONS[0])
    if selection not in SELECTORS:
        raise ConfigError(
            f"variant {spec!r}: unknown selection {selection!r}; registered: {', '.join(SELECTORS)}"
        )
    if selection not in SELECTIONS:  # fail here, not in a worker minutes later
        raise ConfigError(
            f"variant {spec!r}: selection {selection!r} is registered, but the sampler takes "
            f"only {', '.join(SELECTIONS)}; pass NAME=module:callable for another sampler"
        )
    tuned = "tune_estimator" in params
    if tuned and params["tune_estimator"] != TUNE_WITH_CLASSIFIER:
        raise ConfigError(
            f"variant {spec!r}: tune_estimator takes only {TUNE_WITH_CLASSIFIER!r} here"
            " (the row's classifier)"
        )
    factory = partial(gan_oversampler, **params)
    return name, Arm(factory, classical=False, gan_seeds=True, per_classifier=tuned)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks.suite",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--tables", help="comma list: KEEL stems, CSV paths, builtin:NAME (default all)")
    p.add_argument("--data-root", help="data folder (default $AUGMENT_DATA_ROOT or ../shared/data)")
    p.add_argument("--keel-dir", help="folder of the KEEL CSVs (default <data root>/keel)")
    p.add_argument("--classifiers", default="logistic_regression,hist_gradient_boosting")
    p.add_argument("--folds", type=int, default=3)
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument(
        "--gan-seeds", type=int, default=2, help="generators per fold (averaged; default 2)"
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--no-gan", "--no-ours", dest="no_gan", action="store_true", help="drop the gan arm"
    )
    p.add_argument(
        "--variant",
        "--ours-variant",
        dest="variant",
        action="append",
        default=[],
        metavar="NAME=SPEC",
        help=f"an extra generator arm: {VARIANT_HELP} (repeatable)",
    )
    p.add_argument("--out", default=str(RESULTS / "suite.json"))
    p.add_argument("--plot", action=argparse.BooleanOptionalAction, default=True)
    p.add_argument("--mlflow", action=argparse.BooleanOptionalAction, default=True)
    p.add_argument("--experiment", default="augment-suite")
    p.add_argument(
        "--from-jobs",
        metavar="JSONL",
        help="summarise the jobs kept by an earlier (e.g. interrupted) run instead of running; "
        "tables without all their folds are left out",
    )
    return p


def main(argv: list[str] | None = None) -> int:
    p = parser()
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")

    from augment.exceptions import ConfigError
    from augment.suite import (
        canonical_arm,
        classical_arms,
        default_arms,
        format_table,
        plot_cd,
        run_suite,
    )
    from augment.suite.report import cd_title

    arms = classical_arms() if args.no_gan else default_arms()
    for spec in args.variant:
        try:
            name, arm = variant_arm(spec)
        except ConfigError as err:
            p.error(str(err))
        name = canonical_arm(name)  # a former name ("ours", "none") is the arm it names now
        if name in arms:
            p.error(f"variant {spec!r}: the arm {name!r} exists already; pick another name")
        arms[name] = arm
    tracking = None
    if args.mlflow:
        from dataclasses import replace

        from augment.tracking import check_reachable, load_tracking_config

        tracking = replace(load_tracking_config(), experiment=args.experiment)
        check_reachable(tracking)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    kw = dict(
        classifiers=[c.strip() for c in args.classifiers.split(",") if c.strip()],
        folds=args.folds,
        repeats=args.repeats,
        gan_seeds=args.gan_seeds,
        seed=args.seed,
    )
    tables = resolve_tables(args.tables, keel_folder(args.keel_dir, args.data_root))
    if args.from_jobs:
        from augment.suite import load_suite_table, result_from_outputs

        lines = Path(args.from_jobs).read_text(encoding="utf-8").splitlines()
        outputs = [json.loads(line) for line in lines if line.strip()]
        loaded = [load_suite_table(t) for t in tables]
        result = result_from_outputs(loaded, arms, outputs=outputs, n_jobs=args.jobs, **kw)
    else:
        partial = out.with_suffix(".jobs.jsonl")  # each finished job's records, as they come
        partial.write_text("", encoding="utf-8")

        def keep(job_out: dict) -> None:
            with partial.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps(job_out) + "\n")

        result = run_suite(tables, arms, n_jobs=args.jobs, on_job=keep, **kw)
    table = format_table(result)
    removed = [
        f"{t['table']}: removed {t['removed']['n_removed']} rows (classes "
        f"{t['removed']['classes']} kept {t['removed']['fraction']:.0%}, seed "
        f"{t['removed']['seed']}; row positions in the JSON under tables[].removed.rows)"
        for t in result.tables
        if "removed" in t
    ]
    text = "\n".join(
        [
            f"balanced accuracy, {args.folds}-fold x {args.repeats} repeats, "
            f"{args.gan_seeds} generator seed(s) per fold (averaged per fold); "
            "every arm and classifier on 1 thread",
            *removed,
            *(
                [f"left out (not all folds done): {', '.join(result.timing['incomplete_tables'])}"]
                if result.timing["incomplete_tables"]
                else []
            ),
            "",
            table,
        ]
    )
    print(text)
    out.write_text(json.dumps(result.to_dict(), indent=1), encoding="utf-8")
    plot = None
    if args.plot and result.summary["cd"] is not None:
        plot = plot_cd(
            result.summary["ranks"],
            result.summary["cd"],
            out.with_suffix(".png"),
            title=cd_title(result.summary),
        )
    print(f"\nwrote {out}" + (f" and {plot}" if plot else ""))
    if tracking is not None:
        from augment.tracking import log_suite

        run_id = log_suite(tracking, result.to_dict(), text, plot)
        print(f"MLflow: experiment {args.experiment!r} at {tracking.tracking_uri}, run {run_id}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
