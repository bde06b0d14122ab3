"""Fit the run's K generators, or reuse the cached ones (weights-only files)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.task_runners import ThreadPoolTaskRunner

from augment.config import GANConfig
from augment.data import LabeledDataset
from augment.exceptions import InvalidDataError
from augment.experiment import fit_generator
from augment.gan.persist import save_model
from augment.preflight import GeneratorSpec, Prepared
from augment.progress import SILENT, Progress
from augment.tracking import Tracker
from flows.models import Fitted, loaded
from flows.runners import usable_cores


@task(cache_policy=NO_CACHE, task_run_name="fit-gan-seed{gan.seed}")
def fit_gan(
    train: LabeledDataset,
    gan: GANConfig,
    model_path: str,
    tracker: Tracker,
    run_id: str,
    progress: Progress,
    prefix: str = "gan_",
) -> str:
    """Fit one generator (``gan.seed``), save it to ``model_path`` (the cache); return the path.

    Its losses are logged as ``<prefix><name>`` per epoch; sample grids only for ``gan_``; each
    epoch advances the run's progress display (with this generator's latest losses).
    """

    def on_epoch(epoch: int, row: dict[str, float]) -> None:
        tracker.log_metrics(
            run_id, {f"{prefix}{k}": v for k, v in row.items() if k != "epoch"}, step=epoch
        )
        if "d_loss" in row and "g_loss" in row:
            losses = f"GAN seed {gan.seed} d_loss {row['d_loss']:.3f} g_loss {row['g_loss']:.3f}"
            progress.advance(1, losses)

    def on_snapshot(epoch: int, model: Any) -> None:
        from augment import plots  # matplotlib, only when drawing

        if prefix == "gan_" and gan.grid_every and epoch % gan.grid_every == 0:
            with tempfile.TemporaryDirectory() as tmp:
                png = Path(tmp) / f"sample_grid_epoch{epoch:04d}.png"
                plots.sample_grid(model, train.class_names, png, title=f"epoch {epoch} (EMA)")
                tracker.log_artifact(run_id, png, "plots/grid_by_epoch")

    model = fit_generator(train, gan, callback=on_epoch, progress=False, snapshot=on_snapshot)
    Path(model_path).parent.mkdir(parents=True, exist_ok=True)
    return str(save_model(model, model_path))


def _reuse(prepared: Prepared, spec: GeneratorSpec, tracker: Tracker, run_id: str) -> Fitted | None:
    """The cached generator of ``spec`` (its losses copied to this run), or None to fit it."""
    model_path = spec.model_path
    if not model_path.is_file() or prepared.cfg.orchestration.retrain:
        return None
    try:  # weights-only: a tampered or truncated file fails here, it never runs code
        history = loaded(str(model_path)).history.rows
    except InvalidDataError as err:
        get_run_logger().warning("cached GAN unusable (%s); training it again", err)
        return None
    # the losses were logged by the run that trained it; copy them to this run
    tracker.log_history(run_id, history, spec.prefix)
    return Fitted(spec, str(model_path), cached=True)


def fit_generators(
    prepared: Prepared, tracker: Tracker, run_id: str, progress: Progress = SILENT
) -> list[Fitted]:
    """The K generators (none when no arm uses one), fitted or reused.

    Generator i has GAN seed ``gan.seed + i`` and its own cache key, so a run with one more
    generator trains only that one. Losses: ``gan_<name>`` for the first generator (plots and
    the logged model are its), ``gan_seed<S>_<name>`` for the others. The fits run as tasks on
    a thread pool of min(K, CPU cores) threads: image GANs draw every training random number
    from their own generator, so they train side by side (one torch thread each, as the CLI
    sets it); a tabular GAN's dropout and Gumbel noise draw from torch's global RNG, so its fit
    holds the RNG lock and they train one after another (see README, gan.seeds).
    """
    if not prepared.uses_generator:
        return []
    done: dict[int, Fitted] = {}  # by generator index
    todo = []
    for i, spec in enumerate(prepared.generators):
        hit = _reuse(prepared, spec, tracker, run_id)
        if hit is None:
            todo.append((i, spec))
        else:
            done[i] = hit
    workers = max(1, min(len(todo), usable_cores()))
    epochs = sum(spec.config.epochs for _, spec in todo)
    progress.start(f"GAN fit ({len(todo)} generator(s))", epochs, "epochs")
    with ThreadPoolTaskRunner(max_workers=workers) as runner:
        futures = {
            i: runner.submit(
                fit_gan,
                parameters={
                    "train": prepared.splits.train,
                    "gan": spec.config,
                    "model_path": str(spec.model_path),
                    "tracker": tracker,
                    "run_id": run_id,
                    "progress": progress,
                    "prefix": spec.prefix,
                },
            )
            for i, spec in todo
        }
        for i, spec in todo:
            done[i] = Fitted(spec, futures[i].result(), cached=False)
    fitted = [done[i] for i in range(len(prepared.generators))]
    keys = [f.spec.key for f in fitted]
    tracker.set_tags(
        run_id,
        {
            "gan_cache_key": keys[0],
            "gan_cache_keys": ",".join(keys),
            "gan_cached": str(all(f.cached for f in fitted)).lower(),
            "gan_cached_per_generator": ",".join(str(f.cached).lower() for f in fitted),
        },
    )
    get_run_logger().info(
        "GAN seeds %s: %s", [f.spec.seed for f in fitted], [f.path for f in fitted]
    )
    return fitted
