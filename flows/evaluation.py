"""Arms x seeds and the synthetic-quality metrics, each a task, each cached as plain JSON.

A repeated run replays cached results; a change of data, GAN, arm settings or evaluation code
recomputes (the keys, `augment.cache.eval_cache_key`); ``retrain`` recomputes all.
"""

from __future__ import annotations

from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.task_runners import TaskRunner

from augment.arms import ArmResult, get, run_arm
from augment.cache import eval_cache_key, read_cached, write_cached
from augment.data import Splits
from augment.experiment.preflight import Prepared
from augment.experiment.quality import synthetic_quality
from augment.progress import SILENT, Progress
from flows.models import Fitted, generator_for, loaded


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
    model = loaded(model_path) if model_path else None
    return run_arm(arm, splits, plan, [seed], classifier, model, augmentations)


@task(cache_policy=NO_CACHE, task_run_name="quality-seed{seed}")
def quality(model_path: str, splits: Splits, classifier: str, seed: int) -> dict[str, float]:
    return synthetic_quality(loaded(model_path), splits, classifier, seed=seed)


def run_arms(
    runner: TaskRunner, prepared: Prepared, fitted: list[Fitted], progress: Progress = SILENT
) -> dict[str, ArmResult]:
    """Every arm x seed not in the JSON cache as its own task on ``runner``; results by arm.

    Seed s of a GAN arm uses generator s mod K and is keyed on that generator's key; the other
    arms are keyed on the first generator's (data, split, GAN config).
    """
    cfg, splits = prepared.cfg, prepared.splits
    results_dir = prepared.results_dir

    def generator(arm: str, seed: int) -> Fitted | None:
        return generator_for(seed, fitted) if get(arm).uses_generator and fitted else None

    def key(arm: str, seed: int) -> str:
        g = generator(arm, seed)
        return eval_cache_key(
            g.spec.key if g else prepared.eval_key,
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
        hit = None if cfg.orchestration.retrain else read_cached(results_dir, keys[cell])
        res = hit and ArmResult.from_json(hit, cell[0], k)
        if res:
            done[cell] = res
    futures = {}
    for arm, seed in (c for c in cells if c not in done):
        g = generator(arm, seed)
        params = {"arm": arm, "seed": seed, "splits": splits, "plan": prepared.plan}
        params |= {"classifier": cfg.classifier, "augmentations": cfg.augmentations}
        params["model_path"] = g.path if g else None
        futures[(arm, seed)] = runner.submit(evaluate_arm_seed, parameters=params)
    progress.start("arms x seeds", len(futures), "trained and scored")
    for cell, f in futures.items():
        done[cell] = f.result()  # raise, never half-complete
        write_cached(results_dir, keys[cell], done[cell].to_json())
        progress.advance(1, f"last {cell[0]} seed {cell[1]}")
    return {
        arm: ArmResult.merge([done[(arm, s)] for s in range(cfg.n_classifier_seeds)])
        for arm in prepared.arms
    }


def _cached_quality(hit: dict | None) -> dict[str, float] | None:
    if not hit or not isinstance(hit.get("metrics"), dict):
        return None
    try:
        return {str(k): float(v) for k, v in hit["metrics"].items()}
    except (TypeError, ValueError):
        return None


def run_quality(
    runner: TaskRunner, prepared: Prepared, fitted: list[Fitted]
) -> list[dict[str, float]] | None:
    """Every generator's synthetic-quality metrics, cached or computed on ``runner``."""
    if not fitted:
        return None
    cfg = prepared.cfg
    out: list[dict[str, float] | None] = []
    todo = {}
    for i, g in enumerate(fitted):
        results_dir = prepared.results_dir
        key = eval_cache_key(g.spec.key, quality=cfg.classifier)
        metrics = (
            None if cfg.orchestration.retrain else _cached_quality(read_cached(results_dir, key))
        )
        out.append(metrics)
        if metrics is None:
            params = {"model_path": g.path, "splits": prepared.splits}
            params |= {"classifier": cfg.classifier, "seed": g.spec.seed}
            todo[i] = (results_dir, key, runner.submit(quality, parameters=params))
    for i, (results_dir, key, future) in todo.items():
        qual = future.result()
        write_cached(results_dir, key, {"metrics": {k: float(v) for k, v in qual.items()}})
        out[i] = qual
    return out  # every slot filled: from the cache or from its task
