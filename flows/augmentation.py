"""The Prefect flow: thin tasks over the library, MLflow through `augment.tracking`.

- ``load_data`` reads files: the one task that retries (I/O that can fail transiently).
- ``fit_gan`` is cached on (dataset content hash, split + GAN config, code version): the saved
  GAN (weights-only) under ``orchestration.cache_dir`` is reused by a second identical run;
  ``orchestration.retrain`` (``--retrain``) refreshes it. Evaluations are cached as plain JSON
  (`flows.caching.read_cached`), never as Prefect's pickled results.
- arms x seeds run as one task each through a Prefect task runner (thread pool or Dask).
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from prefect import flow, get_run_logger, runtime, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.task_runners import TaskRunner

from augment import plots
from augment.arms import ArmResult, run_arm, synthesize
from augment.balance import balance_plan
from augment.config import GANConfig, RunConfig
from augment.data import LabeledDataset, Splits
from augment.exceptions import InvalidDataError
from augment.experiment import (
    GAN_ARMS,
    build_summary,
    check_arms,
    fit_generator,
    gan_seeds,
    generator_config,
    generator_of,
    prepare,
    synthetic_quality,
)
from augment.gan.persist import load_model, save_model
from augment.leakage import check_no_leakage, gan_arm_synthetic
from augment.tracking import Tracker, check_reachable, load_tracking_config
from flows.caching import cache_paths, eval_cache_key, gan_cache_key, read_cached, write_cached
from flows.report import markdown_summary
from flows.runners import make_task_runner


@task(cache_policy=NO_CACHE, retries=2, retry_delay_seconds=2)
def load_data(cfg: RunConfig) -> tuple[LabeledDataset, Splits]:
    return prepare(cfg.data)


@task(cache_policy=NO_CACHE, task_run_name="fit-gan-seed{gan.seed}")
def fit_gan(
    train: LabeledDataset,
    gan: GANConfig,
    model_path: str,
    tracker: Tracker,
    run_id: str,
    progress: bool,
    prefix: str = "gan_",
) -> str:
    """Fit one generator (``gan.seed``), save it to ``model_path`` (the cache); return the path.

    Its losses are logged as ``<prefix><name>`` per epoch; sample grids only for ``gan_``.
    """

    def on_epoch(epoch: int, row: dict[str, float]) -> None:
        tracker.log_metrics(
            run_id, {f"{prefix}{k}": v for k, v in row.items() if k != "epoch"}, step=epoch
        )

    def on_snapshot(epoch: int, model: Any) -> None:
        if prefix == "gan_" and gan.grid_every and epoch % gan.grid_every == 0:
            with tempfile.TemporaryDirectory() as tmp:
                png = Path(tmp) / f"sample_grid_epoch{epoch:04d}.png"
                plots.sample_grid(model, train.class_names, png, title=f"epoch {epoch} (EMA)")
                tracker.log_artifact(run_id, png, "plots/grid_by_epoch")

    model = fit_generator(train, gan, callback=on_epoch, progress=progress, snapshot=on_snapshot)
    return str(save_model(model, model_path))


@task(cache_policy=NO_CACHE, task_run_name="{arm}-seed{seed}")
def evaluate_arm_seed(
    arm: str,
    seed: int,
    splits: Splits,
    plan: dict,
    classifier: str,
    model_path: str | None,
    augmentations: list | None = None,
) -> ArmResult:
    """One arm x seed (the flow caches its result as JSON on the inputs' key)."""
    model = load_model(model_path, device="cpu") if model_path and arm in GAN_ARMS else None
    return run_arm(arm, splits, plan, [seed], classifier, model, augmentations)


@task(cache_policy=NO_CACHE)
def leakage_check(
    splits: Splits, test_hash: str, model_paths: list[str], plan: dict, cfg: RunConfig
) -> dict:
    """The test split is unchanged since before generation and shares no row with the synthetic
    rows of any generator (each with the classifier seeds paired with it)."""
    synthetic = []
    for g, path in enumerate(model_paths):
        seeds = [s for s in range(cfg.seeds) if generator_of(s, len(model_paths)) == g]
        synthetic += gan_arm_synthetic(load_model(path), splits.train, plan, seeds)
    return check_no_leakage(splits, synthetic, test_hash)


@task(cache_policy=NO_CACHE, task_run_name="quality-seed{seed}")
def quality(model_path: str, splits: Splits, classifier: str, seed: int) -> dict[str, float]:
    return synthetic_quality(load_model(model_path), splits, classifier, seed=seed)


def _merge(parts: list[ArmResult]) -> ArmResult:
    """One arm's per-seed results (one task each, seed order) as one `ArmResult`."""
    return ArmResult(
        parts[0].arm,
        [row for p in parts for row in p.per_seed],
        np.sum([p.confusion for p in parts], axis=0),
        np.mean([p.per_class_recall for p in parts], axis=0).tolist(),
        parts[0].n_train,
    )


def _arm_to_json(res: ArmResult) -> dict[str, Any]:
    return {
        "arm": res.arm,
        "per_seed": [{k: float(v) for k, v in row.items()} for row in res.per_seed],
        "confusion": np.asarray(res.confusion).tolist(),
        "per_class_recall": [float(r) for r in res.per_class_recall],
        "n_train": int(res.n_train),
    }


def _arm_from_json(d: dict[str, Any], arm: str, k: int) -> ArmResult | None:
    """The cached `ArmResult`, or None when the record does not have the expected shape."""
    try:
        conf = np.asarray(d["confusion"], dtype=np.int64)
        res = ArmResult(
            str(d["arm"]),
            [{str(m): float(v) for m, v in row.items()} for row in d["per_seed"]],
            conf,
            [float(r) for r in d["per_class_recall"]],
            int(d["n_train"]),
        )
    except (KeyError, TypeError, ValueError, AttributeError):
        return None
    ok = res.arm == arm and conf.shape == (k, k) and len(res.per_class_recall) == k
    return res if ok and len(res.per_seed) == 1 else None


def _git_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            cwd=Path(__file__).parent,
        )
        return out.stdout.strip() if out.returncode == 0 else "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def _log_plots(
    tracker: Tracker,
    run_id: str,
    splits: Splits,
    model: Any,
    results: dict[str, ArmResult],
    extra_histories: dict[int, Any] | None = None,
) -> None:
    """Recall bars, confusions; the first generator's loss curves, samples or marginals; the
    other generators' loss curves as ``gan_loss_curves_seed<S>.png``."""
    train = splits.train
    names = train.class_names
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        files = [
            plots.recall_bars(
                {a: r.per_class_recall for a, r in results.items()},
                names,
                out / "per_class_recall.png",
            )
        ]
        files += [
            plots.confusion(
                r.confusion, names, f"{a} (summed over seeds)", out / f"confusion_{a}.png"
            )
            for a, r in results.items()
        ]
        for gan_seed, other in (extra_histories or {}).items():
            files.append(plots.loss_curves(other, out / f"gan_loss_curves_seed{gan_seed}.png"))
        if model is not None:
            files.append(plots.loss_curves(model.history, out / "gan_loss_curves.png"))
            if train.kind == "image":
                files.append(plots.sample_grid(model, names, out / "sample_grid.png"))
            else:
                counts = np.bincount(train.y, minlength=train.n_classes)
                plan = {c: max(int(n), 100) for c, n in enumerate(counts)}
                syn, y_syn = synthesize(model, plan, 0, "table")
                files.append(
                    plots.class_marginals(
                        train.X,
                        train.y,
                        syn,
                        y_syn,
                        names,
                        train.discrete,
                        out / "class_marginals.png",
                    )
                )
        for f in files:
            tracker.log_artifact(run_id, f, "plots")


def _fit_or_reuse_one(
    cfg: RunConfig,
    gan: GANConfig,
    key: str,
    splits: Splits,
    tracker: Tracker,
    run_id: str,
    progress: bool,
    prefix: str,
) -> tuple[str, bool]:
    """One generator's saved path and whether it came from the cache (weights-only file)."""
    _, model_path = cache_paths(cfg.orchestration.cache_dir, key)
    if model_path.is_file() and not cfg.orchestration.retrain:
        try:  # weights-only: a tampered or truncated file fails here, it never runs code
            history = load_model(model_path, device="cpu").history.rows
        except InvalidDataError as err:
            get_run_logger().warning("cached GAN unusable (%s); training it again", err)
        else:  # the losses were logged by the run that trained it; copy them to this run
            tracker.log_history(run_id, history, prefix)
            return str(model_path), True
    path = fit_gan(splits.train, gan, str(model_path), tracker, run_id, progress, prefix)
    return path, False


def _fit_or_reuse(
    cfg: RunConfig, data_hash: str, splits: Splits, tracker: Tracker, run_id: str, progress: bool
) -> tuple[list[str], list[str]]:
    """Fit (or reuse) the K generators: their saved paths and cache keys.

    Generator i has GAN seed ``gan.seed + i`` and its own cache key, so a run with one more
    generator trains only that one. Losses: ``gan_<name>`` for the first generator (plots and
    the logged model are its), ``gan_seed<S>_<name>`` for the others. The fits run one after
    another: each holds the torch RNG lock for its whole fit (see README, gan.seeds).
    """
    seeds = gan_seeds(cfg)
    gens = [generator_config(cfg.gan, s) for s in seeds]
    keys = [gan_cache_key(data_hash, cfg.data, g) for g in gens]
    prefixes = ["gan_"] + [f"gan_seed{s}_" for s in seeds[1:]]
    out, cached = [], []
    for i, (gan, key, prefix) in enumerate(zip(gens, keys, prefixes, strict=True)):
        # one progress bar, not K interleaved
        path, hit = _fit_or_reuse_one(
            cfg, gan, key, splits, tracker, run_id, progress and i == 0, prefix
        )
        out.append(path)
        cached.append(hit)
    tracker.set_tags(
        run_id,
        {
            "gan_cache_key": keys[0],
            "gan_cache_keys": ",".join(keys),
            "gan_cached": str(all(cached)).lower(),
            "gan_cached_per_generator": ",".join(str(c).lower() for c in cached),
        },
    )
    return out, keys


def _run_arms(
    runner: TaskRunner,
    arms: list[str],
    cfg: RunConfig,
    splits: Splits,
    plan: dict,
    model_paths: list[str],
    gan_keys: list[str],
) -> dict[str, ArmResult]:
    """Every arm x seed not in the JSON cache as its own task on ``runner``.

    Seed s of a GAN arm uses generator s mod K (``model_paths[s % K]``) and is keyed on that
    generator's key; the other arms are keyed on the first generator's (data, split, GAN config).
    Each result is cached as plain JSON: a repeated run replays them; a change of data, GAN, arm
    settings or evaluation code recomputes; ``retrain`` recomputes all.
    """
    results_dir, _ = cache_paths(cfg.orchestration.cache_dir, gan_keys[0])
    plan_json = {str(k): v for k, v in plan.items()}

    def generator(arm: str, seed: int) -> int:
        return generator_of(seed, len(model_paths)) if arm in GAN_ARMS and model_paths else 0

    def key(arm: str, seed: int) -> str:
        return eval_cache_key(
            gan_keys[generator(arm, seed)],
            arm=arm,
            seed=seed,
            classifier=cfg.classifier,
            plan=plan_json,
            augmentations=cfg.augmentations,
        )

    done: dict[tuple[str, int], ArmResult] = {}
    for arm in arms:
        for seed in range(cfg.seeds):
            hit = None if cfg.orchestration.retrain else read_cached(results_dir, key(arm, seed))
            res = hit and _arm_from_json(hit, arm, splits.test.n_classes)
            if res:
                done[(arm, seed)] = res
    todo = [(a, s) for a in arms for s in range(cfg.seeds) if (a, s) not in done]
    futures = {
        (arm, seed): runner.submit(
            evaluate_arm_seed,
            parameters={
                "arm": arm,
                "seed": seed,
                "splits": splits,
                "plan": plan,
                "classifier": cfg.classifier,
                "model_path": model_paths[generator(arm, seed)] if model_paths else None,
                "augmentations": cfg.augmentations,
            },
        )
        for arm, seed in todo
    }
    for (arm, seed), f in futures.items():
        done[(arm, seed)] = f.result()  # raise, never half-complete
        write_cached(results_dir, key(arm, seed), _arm_to_json(done[(arm, seed)]))
    return {arm: _merge([done[(arm, s)] for s in range(cfg.seeds)]) for arm in arms}


def _quality(
    runner: TaskRunner, cfg: RunConfig, splits: Splits, model_paths: list[str], gan_keys: list[str]
) -> list[dict[str, float]]:
    """Every generator's synthetic-quality metrics, from the JSON cache or computed on
    ``runner`` (and cached)."""
    out: list[dict[str, float] | None] = []
    todo = {}
    for i, (path, gan_key, seed) in enumerate(
        zip(model_paths, gan_keys, gan_seeds(cfg), strict=True)
    ):
        results_dir, _ = cache_paths(cfg.orchestration.cache_dir, gan_key)
        key = eval_cache_key(gan_key, quality=cfg.classifier)
        hit = None if cfg.orchestration.retrain else read_cached(results_dir, key)
        metrics = None
        if hit and isinstance(hit.get("metrics"), dict):
            try:
                metrics = {str(k): float(v) for k, v in hit["metrics"].items()}
            except (TypeError, ValueError):
                metrics = None
        out.append(metrics)
        if metrics is None:
            params = {"model_path": path, "splits": splits, "classifier": cfg.classifier}
            todo[i] = (results_dir, key, runner.submit(quality, parameters=params | {"seed": seed}))
    for i, (results_dir, key, future) in todo.items():
        qual = future.result()
        write_cached(results_dir, key, {"metrics": {k: float(v) for k, v in qual.items()}})
        out[i] = qual
    return out  # every slot filled: from the cache or from its task


@flow(name="augmentation", log_prints=True)
def augmentation_flow(config: RunConfig | None = None, progress: bool = False) -> dict[str, Any]:
    """Fit a conditional GAN on the train split, compare arms on the real test split, track it all.

    Returns the JSON summary (DESIGN.md) with the MLflow parent run id.
    """
    cfg = config or RunConfig()
    logger = get_run_logger()
    tracker = Tracker(load_tracking_config())
    check_reachable(tracker.cfg)  # one probe, seconds: not the client's minutes of retries
    tracker.experiment_id()  # fail fast on an unreachable tracking URI, before any training
    data, splits = load_data(cfg)
    test_hash = splits.test.content_hash()  # fixed before any generation; checked after it
    arms = check_arms(cfg.arms, splits, cfg.classifier)
    plan = balance_plan(splits.train.y, cfg.sampling_strategy, splits.train.class_names)
    data_hash = data.content_hash()
    run_id = tracker.start_parent(
        f"{data.name}-{runtime.flow_run.name or 'local'}",
        params={
            "config": cfg.model_dump(mode="json"),
            "plan": {str(k): v for k, v in plan.items()},
            "gan.seeds": cfg.n_generators,  # K as used (config.gan.seeds may be null: default)
        },
        tags={
            "dataset": data.name,
            "dataset_hash": data_hash,
            "git_commit": _git_commit(),
            "prefect_flow_run_id": str(runtime.flow_run.id or ""),
        },
    )
    logger.info("MLflow parent run %s", run_id)
    try:
        tracker.log_dataset(run_id, splits.train, "train")
        tracker.log_dataset(run_id, splits.test, "test")
        model_paths: list[str] = []
        gan_keys = [gan_cache_key(data_hash, cfg.data, generator_config(cfg.gan, cfg.gan.seed))]
        if any(a in GAN_ARMS for a in arms):
            model_paths, gan_keys = _fit_or_reuse(cfg, data_hash, splits, tracker, run_id, progress)
            logger.info("GAN seeds %s: %s", gan_seeds(cfg), model_paths)
        # the quality metrics share the runner with the arms: one pool, no idle tail
        with make_task_runner(cfg.orchestration) as runner:
            results = _run_arms(runner, arms, cfg, splits, plan, model_paths, gan_keys)
            qual = _quality(runner, cfg, splits, model_paths, gan_keys) if model_paths else None
        summary = build_summary(cfg, data, splits, results, qual, run_id, tracker.cfg.experiment)
        summary["leakage_check"] = leakage_check(splits, test_hash, model_paths, plan, cfg)
        for arm, res in results.items():
            params = {"seeds": cfg.seeds, "classifier": cfg.classifier, "n_train": res.n_train}
            if arm in GAN_ARMS:
                params |= {"gan.seeds": cfg.n_generators, "gan_seeds": summary["gan_seeds"]}
            tracker.log_arm(run_id, arm, res.per_seed, summary["arms"][arm], params)
        parent_metrics = dict(summary["synthetic_quality"])
        # MLflow metric names allow no "+": gan+classical -> gan_and_classical
        parent_metrics |= {
            f"gap_recovered_{a.replace('+', '_and_')}": g
            for a, g in summary["gap_recovered"].items()
        }
        for arm, d in summary["delta_vs_baseline"].items():
            parent_metrics |= {f"delta_{m}_{arm.replace('+', '_and_')}": v for m, v in d.items()}
        tracker.log_metrics(run_id, parent_metrics)
        model = load_model(model_paths[0], device="cpu") if model_paths else None
        others = {
            s: load_model(p, device="cpu").history
            for s, p in zip(summary["gan_seeds"][1:], model_paths[1:], strict=True)
        }
        _log_plots(tracker, run_id, splits, model, results, others)
        tracker.log_json(run_id, summary, "summary.json")
        if model_paths:  # the first generator (GAN seed gan.seed) is the logged model
            uri = tracker.log_generator(
                run_id, model_paths[0], splits.train.class_names, splits.train.label
            )
            summary["generator_uri"] = uri
        create_markdown_artifact(
            key="augment-comparison",
            markdown=markdown_summary(summary, tracker.run_url(run_id)),
            description=f"augment: arms compared on {data.name}",
        )
    except BaseException:
        tracker.finish(run_id, "FAILED")
        raise
    tracker.finish(run_id, "FINISHED")
    return summary
