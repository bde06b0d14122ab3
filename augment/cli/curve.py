"""``augment curve``: the induced-imbalance run at several fractions of the minority classes'
real rows, and what each arm is worth in real rows (`augment.curve`).

Each fraction is checked by `augment.experiment.preflight.preflight` (all of them before any
work), then run here, in this process, without Prefect: the GAN fits in child processes
(`augment.experiment.fit_process`, cached under the run's cache key, so a fraction already run
costs nothing), the arms x seeds in a thread pool (`augment.arms.run_arm`, cached as the flow caches
them). One MLflow run holds the curve, its PNG and its JSON.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from augment.cli.boundary import note

MIN_SEEDS = 3  # as `augment run`: below this a t interval over seeds is too wide to read


def add_parser(sub, verbose: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "curve",
        parents=[verbose],
        help="learning curve: each arm at several fractions of the minority classes' real rows,"
        " and what it is worth in real rows",
    )
    p.add_argument("config", nargs="?", help="YAML run config (optional)")
    p.add_argument("--data", help="CSV/Parquet file, image folder or builtin:NAME")
    p.add_argument("--label", help="label column of a table")
    p.add_argument(
        "--missing",
        choices=["error", "drop", "impute"],
        help="NaN/inf features: error (default), drop the rows, impute (median / most frequent)",
    )
    p.add_argument(
        "--classes",
        help="comma-separated minority classes to cut (default: the config's"
        " data.imbalance_classes, else the built-in dataset's demo classes)",
    )
    p.add_argument(
        "--fractions",
        help="comma-separated fractions of the minority classes' real train rows"
        " (default: 0.05,0.1,0.25,0.5,1)",
    )
    p.add_argument("--epochs", type=int, help="GAN training epochs")
    p.add_argument("--seeds", type=int, help="classifier seeds per arm and fraction")
    p.add_argument(
        "--gan-seeds",
        type=int,
        help="generators (GAN seeds) per fraction; seed s of a GAN arm uses generator s mod K",
    )
    p.add_argument(
        "--arms", help="comma-separated arms (default: baseline,gan,smote; baseline always runs)"
    )
    p.add_argument(
        "--classifier", help="auto (cnn for images), cnn, random_forest or logistic_regression"
    )
    p.add_argument("--json", dest="json_path", help="write the curve as JSON here")
    p.add_argument("--report", help="write the HTML page here (default: beside --json as .html)")
    p.add_argument("--plot", help="write the PNG here (default: beside --json as .png)")
    p.add_argument("--force", action="store_true", help="replace existing output files")
    p.add_argument("--no-progress", action="store_true", help="hide progress lines")
    p.add_argument(
        "--retrain", action="store_true", help="train the GANs again even if cached ones match"
    )
    p.add_argument("--cache-dir", help="where fitted GANs are cached (default .augment/cache)")
    p.set_defaults(handler=command)


def _list(text: str | None, flag: str) -> list[str] | None:
    from augment.exceptions import ConfigError

    if text is None:
        return None
    items = [a.strip() for a in text.split(",") if a.strip()]
    if not items:
        raise ConfigError(f"{flag} {text!r} names nothing; give comma-separated names")
    return items


def _overrides(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "data.source": args.data,
        "data.label": args.label,
        "data.missing": args.missing,
        "data.imbalance_classes": _list(args.classes, "--classes"),
        "gan.epochs": args.epochs,
        "seeds": args.seeds,
        "gan.seeds": args.gan_seeds,
        "arms": _list(args.arms, "--arms"),
        "classifier": args.classifier,
        "orchestration.retrain": True if args.retrain else None,
        "orchestration.cache_dir": args.cache_dir,
    }


def _claim(args: argparse.Namespace, cfg, tracking) -> dict[str, Path | None]:
    """``--json``, ``--report`` and ``--plot`` (the last two beside ``--json`` by default),
    checked against the inputs, the store, the cache and each other before any work."""
    from augment.outputs import Outputs

    outputs = Outputs(force=args.force)
    outputs.protect(cfg.data.source, f"the input data {cfg.data.source}")
    outputs.protect(args.config, f"the config file {args.config}")
    outputs.protect(cfg.orchestration.cache_dir, f"the cache folder {cfg.orchestration.cache_dir}")
    if tracking.store_path is not None:
        outputs.protect(tracking.store_path, f"the tracking store {tracking.store_path}")
    out: dict[str, Path | None] = {"json": None, "report": None, "plot": None}
    if args.json_path:
        out["json"] = outputs.file(args.json_path, "--json")
    for name, suffix in (("report", ".html"), ("plot", ".png")):
        given = getattr(args, name)
        if given:
            out[name] = outputs.file(given, f"--{name}")
        elif args.json_path:
            beside = Path(args.json_path).with_suffix(suffix)
            out[name] = outputs.file(beside, f"--{name} (beside --json)")
    return out


def _config(args: argparse.Namespace):
    """The run config with the curve's arms (default baseline, gan, smote; the baseline first;
    the oracle left out, said on stderr)."""
    from augment.config import load_config
    from augment.curve import DEFAULT_ARMS, curve_arms

    cfg = load_config(args.config, _overrides(args))
    arms, dropped = curve_arms(cfg.arms if "arms" in cfg.model_fields_set else DEFAULT_ARMS)
    if dropped:
        note("augment: note: the oracle arm is left out: on the curve it is the baseline at 100%")
    return cfg.model_copy(update={"arms": arms})


def _classes(cfg, first) -> list[str]:
    """The minority classes the curve cuts: the config's, else the dataset's demo ones."""
    from augment.exceptions import ConfigError

    classes = cfg.data.imbalance_classes
    if classes is None:
        classes = first.data.demo_imbalance
    if not classes:
        raise ConfigError(
            f"{cfg.data.source}: no minority classes to cut; name them with --classes"
            " (or data.imbalance_classes)"
        )
    return list(classes)


def _say_notes(prepared: list) -> None:
    """Arms that cannot run at some fraction, and few seeds, on stderr (one line each)."""
    said = set()
    for p in prepared:
        for arm, reason in p.skipped.items():
            if arm not in said:
                said.add(arm)
                at = f"{p.cfg.data.imbalance_fraction:.0%}"
                note(f"augment: skipping the {arm} arm at {at}: {reason}")
    n_seeds = prepared[0].cfg.n_classifier_seeds
    if n_seeds < MIN_SEEDS:
        note(
            f"augment: note: {n_seeds} seed(s): each point's 95% interval rests on {n_seeds}"
            f" value(s) per arm; use --seeds {MIN_SEEDS} or more to read the worth intervals"
        )


def _generators(prepared, progress) -> tuple[list[Any], bool]:
    """The fraction's K generators, loaded from the cache or fitted (child processes, at most
    one per core at a time) and saved under their cache keys; and whether all were cached."""
    from augment.exceptions import IntegrityError, InvalidDataError
    from augment.experiment.fit_process import FitProcess
    from augment.gan.persist import load_model, save_payload

    if not prepared.uses_generator:
        return [], True
    models: dict[int, Any] = {}
    for i, spec in enumerate(prepared.generators):
        if prepared.cfg.orchestration.retrain or not spec.model_path.is_file():
            continue
        try:  # weights-only: a damaged or planted file fails here and is fitted again
            models[i] = load_model(spec.model_path, device="cpu")
        except (InvalidDataError, IntegrityError) as err:
            note(f"augment: cached GAN unusable ({err}); training it again")
    todo = [(i, s) for i, s in enumerate(prepared.generators) if i not in models]
    cores = _cores()
    frac = f"{prepared.cfg.data.imbalance_fraction:.0%}"
    progress.start(
        f"GAN fit at {frac} ({len(todo)} generator(s))",
        sum(s.config.epochs for _, s in todo),
        "epochs",
    )
    for start in range(0, len(todo), cores):
        batch = todo[start : start + cores]
        threads = max(1, min(_torch_threads(), cores // len(batch)))
        fits = [(i, s, FitProcess(prepared.splits.train, s.config, threads)) for i, s in batch]
        try:
            for i, spec, fit in fits:
                payload = fit.wait(lambda epoch, row: progress.advance(1))
                spec.model_path.parent.mkdir(parents=True, exist_ok=True)
                save_payload(payload, spec.model_path)
                models[i] = load_model(spec.model_path, device="cpu")
        finally:
            for _, _, fit in fits:
                fit.stop()
    return [models[i] for i in range(len(prepared.generators))], not todo


def _cores() -> int:
    """CPU cores this process may run on (its affinity mask where the OS has one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS, Windows
        return max(1, os.cpu_count() or 1)


def _torch_threads() -> int:
    import torch

    return torch.get_num_threads()


def _evaluate(prepared, models: list[Any], progress) -> dict[str, Any]:
    """Every arm x seed, from the JSON cache (the flow's keys) or computed in a thread pool;
    merged per arm (`augment.arms.ArmResult`)."""
    from augment.arms import ArmResult, get, run_arm
    from augment.cache import eval_cache_key, read_cached, write_cached
    from augment.experiment.pairing import generator_of

    cfg, splits = prepared.cfg, prepared.splits

    def model(arm: str, seed: int) -> Any:
        uses = get(arm).uses_generator and models
        return models[generator_of(seed, len(models))] if uses else None

    def key(arm: str, seed: int) -> str:  # as flows.evaluation.run_arms keys them
        uses = get(arm).uses_generator and models
        gan_key = prepared.generators[generator_of(seed, len(models))].key if uses else None
        return eval_cache_key(
            gan_key or prepared.eval_key,
            arm=arm,
            seed=seed,
            classifier=cfg.classifier,
            plan=prepared.plan_json,
            augmentations=cfg.augmentations,
        )

    cells = [(arm, seed) for arm in prepared.arms for seed in range(cfg.n_classifier_seeds)]
    keys = {cell: key(*cell) for cell in cells}
    k = splits.test.n_classes
    done: dict[tuple[str, int], ArmResult] = {}
    for cell in cells:
        hit = None if cfg.orchestration.retrain else read_cached(prepared.results_dir, keys[cell])
        res = hit and ArmResult.from_json(hit, cell[0], k)
        if res:
            done[cell] = res
    todo = [c for c in cells if c not in done]
    frac = f"{cfg.data.imbalance_fraction:.0%}"
    progress.start(f"arms x seeds at {frac}", len(todo), "trained and scored")
    pool = ThreadPoolExecutor(max_workers=cfg.orchestration.max_workers or _cores())
    try:
        futures = {
            (arm, seed): pool.submit(
                run_arm,
                arm,
                splits,
                prepared.plan,
                [seed],
                cfg.classifier,
                model(arm, seed),
                cfg.augmentations,
            )
            for arm, seed in todo
        }
        for cell, f in futures.items():
            done[cell] = f.result()
            write_cached(prepared.results_dir, keys[cell], done[cell].to_json())
            progress.advance(1, f"last {cell[0]} seed {cell[1]}")
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    n = cfg.n_classifier_seeds
    return {a: ArmResult.merge([done[(a, s)] for s in range(n)]) for a in prepared.arms}


def _point(prepared, classes: list[str], progress) -> dict[str, Any]:
    """One fraction of the curve (`augment.curve.point`), with its cache keys and wall time."""
    from augment.curve import minority_rows, point
    from augment.evaluate import summarize_arms

    t0 = time.monotonic()
    models, cached = _generators(prepared, progress)
    results = _evaluate(prepared, models, progress)
    train = prepared.splits.train
    arms = summarize_arms({a: r.per_seed for a, r in results.items()})
    added = {a: r.n_train - len(train) for a, r in results.items()}
    rows = minority_rows(train.y, train.class_names, classes)
    out = point(prepared.cfg.data.imbalance_fraction, rows, len(train), arms, added)
    out["gan_cache_keys"] = [g.key for g in prepared.generators] if models else []
    out["gan_cached"] = cached
    out["wall_s"] = round(time.monotonic() - t0, 1)
    return out


def _meta(cfg, first, classes: list[str], fractions: list[float]) -> dict[str, Any]:
    from augment.classify import resolve_classifier

    data = first.data
    return {
        "dataset": data.name,
        "dataset_hash": first.data_hash,
        "kind": data.kind,
        "classes": classes,
        "fractions": fractions,
        "arms": list(cfg.arms),
        "seeds": cfg.n_classifier_seeds,
        "gan_seeds": cfg.n_generators,
        "gan_epochs": cfg.gan.epochs,
        "classifier": resolve_classifier(cfg.classifier, data.kind),
        "n_test": len(first.splits.test),
        "test_size": cfg.data.test_size,
        "split_seed": cfg.data.split_seed,
    }


def _copy(src: Path, dst: Path) -> None:
    from augment.atomic import atomic_write

    atomic_write(dst, lambda tmp: shutil.copyfile(src, tmp))


def command(args: argparse.Namespace) -> int:
    from augment.tracking.config import load_tracking_config as tracking_config
    from augment.tracking.probe import check_store

    # first, before the heavy imports: an unusable store or server exits 2 in seconds
    check_store(tracking_config(), write=True)
    from augment.cli.boundary import stop_on_sigterm
    from augment.curve import (
        DEFAULT_FRACTIONS,
        NOTE,
        fraction_config,
        parse_fractions,
        table_text,
        with_worth,
    )
    from augment.curve.plot import curve_plot
    from augment.curve.report import write_curve_report
    from augment.experiment.preflight import preflight
    from augment.outputs import inside, write_json_atomic
    from augment.progress import display
    from augment.tracking import load_tracking_config
    from augment.tracking.curve import log_curve

    fractions = parse_fractions(args.fractions) if args.fractions else list(DEFAULT_FRACTIONS)
    cfg = _config(args)
    tracking = load_tracking_config()
    out = _claim(args, cfg, tracking)
    stop_on_sigterm()
    # every fraction checked before any fit: a bad input exits 2 with nothing written
    prepared = [preflight(fraction_config(cfg, f), tracking=False) for f in fractions]
    classes = _classes(cfg, prepared[0])
    _say_notes(prepared)
    progress = display(not args.no_progress)
    points = []
    for p in prepared:
        points.append(_point(p, classes, progress))
        if not args.no_progress:
            pt = points[-1]
            how = "GANs from the cache" if pt["gan_cached"] else "GANs fitted"
            print(
                f"augment: fraction {pt['fraction']:.0%} ({pt['minority_rows']} minority rows)"
                f" done in {pt['wall_s']:.0f} s ({how})",
                file=sys.stderr,
            )
    curve = {**_meta(cfg, prepared[0], classes, fractions), **with_worth(points)}
    params = {k: curve[k] for k in ("dataset", "kind", "classifier", "seeds", "gan_seeds")}
    params |= {"classes": ",".join(classes), "fractions": ",".join(f"{f:g}" for f in fractions)}
    params |= {"arms": ",".join(cfg.arms), "config": cfg.model_dump(mode="json")}
    with tempfile.TemporaryDirectory(prefix="augment-curve-") as tmp:
        png = curve_plot(
            curve, Path(tmp) / "curve.png", title=f"{curve['dataset']}: learning curve"
        )

        def artifacts(run_id: str) -> list[Path]:
            curve["mlflow_run_id"] = run_id
            curve["experiment"] = tracking.experiment
            return [png, write_curve_report(curve, png, Path(tmp) / "curve.html")]

        run_id = log_curve(tracking, curve, params, artifacts)
        # the PNG and the page: where asked, else in the cache folder (their paths printed)
        kept = inside(cfg.orchestration.cache_dir, "curves", run_id)
        kept.mkdir(parents=True, exist_ok=True)
        for name, suffix in (("plot", ".png"), ("report", ".html")):
            dst = out[name] or kept / f"curve{suffix}"
            _copy(Path(tmp) / f"curve{suffix}", dst)
            curve[name] = str(dst)
    print()
    print(table_text(curve))
    print(f"\n{NOTE}")
    print(f"\nMLflow run {run_id} (experiment {tracking.experiment!r})")
    print(f"tracking store: {tracking.describe()}")
    print(f"plot: {curve['plot']}\nreport: {curve['report']}")
    if out["json"] is not None:
        write_json_atomic(curve, out["json"])
        print(f"curve written to {args.json_path}")
    return 0
