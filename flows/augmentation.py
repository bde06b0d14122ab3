"""The Prefect flow: thin tasks over the library, MLflow through `augment.tracking`."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, runtime, task
from prefect.cache_policies import NO_CACHE

from augment import plots
from augment.arms import ArmResult, run_arm
from augment.balance import balance_plan
from augment.config import RunConfig
from augment.data import LabeledDataset, Splits
from augment.experiment import build_summary, check_arms, fit_generator, prepare, synthetic_quality
from augment.tracking import Tracker, load_tracking_config

# live objects (arrays, models) pass between tasks in-process; they are not hashed or cached
_task = task(cache_policy=NO_CACHE)


@_task
def load_data(cfg: RunConfig) -> tuple[LabeledDataset, Splits]:
    return prepare(cfg.data)


@_task
def fit_gan(train: LabeledDataset, cfg: RunConfig, tracker: Tracker, run_id: str, progress: bool):
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

    return fit_generator(train, cfg.gan, callback=on_epoch, progress=progress, snapshot=on_snapshot)


@_task
def evaluate_arm(arm: str, splits: Splits, plan: dict, cfg: RunConfig, model: Any) -> ArmResult:
    seeds = list(range(cfg.seeds))
    return run_arm(arm, splits, plan, seeds, cfg.classifier, model, cfg.augmentations)


@_task
def quality(model: Any, splits: Splits, cfg: RunConfig) -> dict[str, float]:
    return synthetic_quality(model, splits, cfg.classifier, seed=cfg.gan.seed)


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
    names = splits.train.class_names
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
            if splits.train.kind == "image":
                files.append(plots.sample_grid(model, names, out / "sample_grid.png"))
        for f in files:
            tracker.log_artifact(run_id, f, "plots")


@flow(name="augmentation", log_prints=True)
def augmentation_flow(config: RunConfig | None = None, progress: bool = False) -> dict[str, Any]:
    """Fit a conditional GAN on the train split, compare arms on the real test split, track it all.

    Returns the JSON summary (DESIGN.md) with the MLflow parent run id.
    """
    cfg = config or RunConfig()
    logger = get_run_logger()
    tracker = Tracker(load_tracking_config())
    tracker.experiment_id()  # fail fast on an unreachable tracking URI, before any training
    data, splits = load_data(cfg)
    arms = check_arms(cfg.arms, splits)
    plan = balance_plan(splits.train.y, cfg.sampling_strategy)
    run_id = tracker.start_parent(
        f"{data.name}-{runtime.flow_run.name or 'local'}",
        params={
            "config": cfg.model_dump(mode="json"),
            "plan": {str(k): v for k, v in plan.items()},
        },
        tags={
            "dataset": data.name,
            "dataset_hash": data.content_hash(),
            "git_commit": _git_commit(),
            "prefect_flow_run_id": str(runtime.flow_run.id or ""),
        },
    )
    logger.info("MLflow parent run %s", run_id)
    try:
        needs_gan = "gan" in arms or "gan+classical" in arms
        model = fit_gan(splits.train, cfg, tracker, run_id, progress) if needs_gan else None
        futures = {arm: evaluate_arm.submit(arm, splits, plan, cfg, model) for arm in arms}
        results = {arm: fut.result() for arm, fut in futures.items()}  # raise, never half-complete
        qual = quality(model, splits, cfg) if model is not None else None
        summary = build_summary(cfg, data, splits, results, qual, run_id, tracker.cfg.experiment)
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
        _log_plots(tracker, run_id, splits, model, results)
        tracker.log_json(run_id, summary, "summary.json")
    except BaseException:
        tracker.finish(run_id, "FAILED")
        raise
    tracker.finish(run_id, "FINISHED")
    return summary
