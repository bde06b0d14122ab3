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

from augment import plots
from augment.arms import ArmResult, run_arm, synthesize
from augment.balance import balance_plan
from augment.config import RunConfig
from augment.data import LabeledDataset, Splits
from augment.exceptions import InvalidDataError
from augment.experiment import build_summary, check_arms, fit_generator, prepare, synthetic_quality
from augment.gan.persist import load_model, save_model
from augment.leakage import check_no_leakage, gan_arm_synthetic
from augment.tracking import Tracker, check_reachable, load_tracking_config
from flows.caching import cache_paths, eval_cache_key, gan_cache_key, read_cached, write_cached
from flows.report import markdown_summary
from flows.runners import make_task_runner


@task(cache_policy=NO_CACHE, retries=2, retry_delay_seconds=2)
def load_data(cfg: RunConfig) -> tuple[LabeledDataset, Splits]:
    return prepare(cfg.data)


@task(cache_policy=NO_CACHE)
def fit_gan(
    train: LabeledDataset,
    cfg: RunConfig,
    model_path: str,
    tracker: Tracker,
    run_id: str,
    progress: bool,
) -> str:
    """Fit the GAN, save it to ``model_path`` (the cache); return that path."""

    def on_epoch(epoch: int, row: dict[str, float]) -> None:
        tracker.log_metrics(
            run_id, {f"gan_{k}": v for k, v in row.items() if k != "epoch"}, step=epoch
        )

    def on_snapshot(epoch: int, model: Any) -> None:
        if cfg.gan.grid_every and epoch % cfg.gan.grid_every == 0:
            with tempfile.TemporaryDirectory() as tmp:
                png = Path(tmp) / f"sample_grid_epoch{epoch:04d}.png"
                plots.sample_grid(model, train.class_names, png, title=f"epoch {epoch} (EMA)")
                tracker.log_artifact(run_id, png, "plots/grid_by_epoch")

    model = fit_generator(
        train, cfg.gan, callback=on_epoch, progress=progress, snapshot=on_snapshot
    )
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
    uses_gan = arm in ("gan", "gan+classical")
    model = load_model(model_path, device="cpu") if model_path and uses_gan else None
    return run_arm(arm, splits, plan, [seed], classifier, model, augmentations)


@task(cache_policy=NO_CACHE)
def leakage_check(
    splits: Splits, test_hash: str, model_path: str | None, plan: dict, cfg: RunConfig
) -> dict:
    """The test split is unchanged since before generation and shares no row with synthetic."""
    synthetic = (
        []
        if model_path is None
        else gan_arm_synthetic(load_model(model_path), splits.train, plan, list(range(cfg.seeds)))
    )
    return check_no_leakage(splits, synthetic, test_hash)


@task(cache_policy=NO_CACHE)
def quality(model_path: str, splits: Splits, cfg: RunConfig) -> dict[str, float]:
    return synthetic_quality(load_model(model_path), splits, cfg.classifier, seed=cfg.gan.seed)


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
    tracker: Tracker, run_id: str, splits: Splits, model: Any, results: dict[str, ArmResult]
) -> None:
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


def _fit_or_reuse(
    cfg: RunConfig, data_hash: str, splits: Splits, tracker: Tracker, run_id: str, progress: bool
) -> tuple[str, bool]:
    """The saved GAN's path and whether it came from the cache."""
    key = gan_cache_key(data_hash, cfg.data, cfg.gan)
    _, model_path = cache_paths(cfg.orchestration.cache_dir, key)
    cached = False
    if model_path.is_file() and not cfg.orchestration.retrain:
        try:  # weights-only: a tampered or truncated file fails here, it never runs code
            history = load_model(model_path, device="cpu").history.rows
            cached = True
        except InvalidDataError as err:
            get_run_logger().warning("cached GAN unusable (%s); training it again", err)
    if cached:  # the losses were logged by the run that trained it; copy them to this run
        tracker.log_history(run_id, history, "gan_")
        path = str(model_path)
    else:
        path = fit_gan(splits.train, cfg, str(model_path), tracker, run_id, progress)
    tracker.set_tags(run_id, {"gan_cache_key": key, "gan_cached": str(cached).lower()})
    return path, cached


def _run_arms(
    arms: list[str],
    cfg: RunConfig,
    splits: Splits,
    plan: dict,
    model_path: str | None,
    gan_key: str,
) -> dict[str, ArmResult]:
    """Every arm x seed as its own task on the configured Prefect task runner.

    Each result is cached (persisted) on its inputs' key: a repeated run replays them; a change
    of data, GAN, arm settings or evaluation code recomputes; ``retrain`` recomputes all.
    """
    results_dir, _ = cache_paths(cfg.orchestration.cache_dir, gan_key)
    plan_json = {str(k): v for k, v in plan.items()}

    def key(arm: str, seed: int) -> str:
        return eval_cache_key(
            gan_key,
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
    if not todo:
        return {arm: _merge([done[(arm, s)] for s in range(cfg.seeds)]) for arm in arms}
    with make_task_runner(cfg.orchestration) as runner:
        futures = {
            (arm, seed): runner.submit(
                evaluate_arm_seed,
                parameters={
                    "arm": arm,
                    "seed": seed,
                    "splits": splits,
                    "plan": plan,
                    "classifier": cfg.classifier,
                    "model_path": model_path,
                    "augmentations": cfg.augmentations,
                },
            )
            for arm, seed in todo
        }
        for (arm, seed), f in futures.items():
            done[(arm, seed)] = f.result()  # raise, never half-complete
            write_cached(results_dir, key(arm, seed), _arm_to_json(done[(arm, seed)]))
    return {arm: _merge([done[(arm, s)] for s in range(cfg.seeds)]) for arm in arms}


def _quality(model_path: str, splits: Splits, cfg: RunConfig, gan_key: str) -> dict[str, float]:
    """The synthetic-quality metrics, from the JSON cache or computed (and cached)."""
    results_dir, _ = cache_paths(cfg.orchestration.cache_dir, gan_key)
    key = eval_cache_key(gan_key, quality=cfg.classifier)
    hit = None if cfg.orchestration.retrain else read_cached(results_dir, key)
    if hit and isinstance(hit.get("metrics"), dict):
        try:
            return {str(k): float(v) for k, v in hit["metrics"].items()}
        except (TypeError, ValueError):
            pass
    qual = quality(model_path, splits, cfg)
    write_cached(results_dir, key, {"metrics": {k: float(v) for k, v in qual.items()}})
    return qual


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
        model_path = None
        if "gan" in arms or "gan+classical" in arms:
            model_path, cached = _fit_or_reuse(cfg, data_hash, splits, tracker, run_id, progress)
            logger.info("GAN %s: %s", "reused from cache" if cached else "trained", model_path)
        gan_key = gan_cache_key(data_hash, cfg.data, cfg.gan)
        results = _run_arms(arms, cfg, splits, plan, model_path, gan_key)
        qual = None
        if model_path:
            qual = _quality(model_path, splits, cfg, gan_key)
        summary = build_summary(cfg, data, splits, results, qual, run_id, tracker.cfg.experiment)
        summary["leakage_check"] = leakage_check(splits, test_hash, model_path, plan, cfg)
        for arm, res in results.items():
            tracker.log_arm(
                run_id,
                arm,
                res.per_seed,
                summary["arms"][arm],
                {"seeds": cfg.seeds, "classifier": cfg.classifier, "n_train": res.n_train},
            )
        parent_metrics = dict(qual or {})
        # MLflow metric names allow no "+": gan+classical -> gan_and_classical
        parent_metrics |= {
            f"gap_recovered_{a.replace('+', '_and_')}": g
            for a, g in summary["gap_recovered"].items()
        }
        for arm, d in summary["delta_vs_baseline"].items():
            parent_metrics |= {f"delta_{m}_{arm.replace('+', '_and_')}": v for m, v in d.items()}
        tracker.log_metrics(run_id, parent_metrics)
        model = load_model(model_path, device="cpu") if model_path else None
        _log_plots(tracker, run_id, splits, model, results)
        tracker.log_json(run_id, summary, "summary.json")
        if model_path:
            uri = tracker.log_generator(
                run_id, model_path, splits.train.class_names, splits.train.label
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
