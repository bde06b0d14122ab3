"""The benchmark suite (BENCHMARK.md, "Generalisation"): a thin CLI over `augment.suite`.

    OMP_NUM_THREADS=1 python benchmarks/suite.py --jobs 2            # the whole suite
    python benchmarks/suite.py --tables balance,builtin:wine --classifiers logistic_regression
    python benchmarks/suite.py --ours-variant short=mymodule:make_sampler   # an extra "ours"

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

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _tables(spec: str | None, keel_dir: str | None) -> list[str] | None:
    """``name,name`` -> paths: KEEL file stems resolve in ``keel_dir``; builtin:/paths as is."""
    from augment.suite import default_keel_dir, default_tables

    if not spec:
        return default_tables(keel_dir)
    folder = Path(keel_dir) if keel_dir else default_keel_dir()
    out = []
    for name in (s.strip() for s in spec.split(",") if s.strip()):
        if name.startswith("builtin:") or Path(name).is_file():
            out.append(name)
        else:
            out.append(str(folder / (name if name.endswith(".csv") else f"{name}.csv")))
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--tables", help="comma list: KEEL stems, CSV paths, builtin:NAME (default all)")
    p.add_argument("--keel-dir", help="folder of the KEEL CSVs (default ../shared/data/keel)")
    p.add_argument("--classifiers", default="logistic_regression,hist_gradient_boosting")
    p.add_argument("--folds", type=int, default=3)
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument(
        "--gan-seeds", type=int, default=2, help="generators per fold (averaged; default 2)"
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-ours", action="store_true", help="drop the default GAN arm")
    p.add_argument(
        "--ours-variant",
        action="append",
        default=[],
        metavar="NAME=MODULE:CALLABLE",
        help="an extra 'ours' arm: CALLABLE(seed) -> imblearn sampler (repeatable)",
    )
    p.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "suite.json"))
    p.add_argument("--plot", action=argparse.BooleanOptionalAction, default=True)
    p.add_argument("--mlflow", action=argparse.BooleanOptionalAction, default=True)
    p.add_argument("--experiment", default="augment-suite")
    p.add_argument(
        "--from-jobs",
        metavar="JSONL",
        help="summarise the jobs kept by an earlier (e.g. interrupted) run instead of running; "
        "tables without all their folds are left out",
    )
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")

    from augment.suite import (
        classical_arms,
        default_arms,
        format_table,
        load_variant,
        plot_cd,
        run_suite,
    )

    arms = classical_arms() if args.no_ours else default_arms()
    for spec in args.ours_variant:
        name, arm = load_variant(spec)
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
    tables = _tables(args.tables, args.keel_dir)
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
            title=f"mean rank over {result.summary['n_rows']} table x classifier rows",
        )
    print(f"\nwrote {out}" + (f" and {plot}" if plot else ""))
    if tracking is not None:
        from augment.tracking import log_suite

        run_id = log_suite(tracking, result.to_dict(), text, plot)
        print(f"MLflow: experiment {args.experiment!r} at {tracking.tracking_uri}, run {run_id}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
