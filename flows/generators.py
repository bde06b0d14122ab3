"""Fit the run's K generators, or reuse the cached ones (weights-only files)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.task_runners import ThreadPoolTaskRunner

from augment.config import GANConfig
from augment.data import LabeledDataset
from augment.exceptions import IntegrityError, InvalidDataError
from augment.experiment.fit_process import FitProcess, FitStopped
from augment.experiment.preflight import GeneratorSpec, Prepared
from augment.gan.persist import save_payload
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
    threads: int = 1,
    started: FitProcess | None = None,
    group: FitGroup | None = None,
) -> str:
    """Fit one generator (``gan.seed``) in a child process (``started`` early, or now), save it
    to ``model_path`` (the cache); return the path.

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

    def on_grid(epoch: int, png: Path) -> None:
        tracker.log_artifact(run_id, png, "plots/grid_by_epoch")
        png.unlink(missing_ok=True)

    fit = started or start_fit(train, gan, prefix, threads)
    if group is not None:
        group.add(fit)
    payload = fit.wait(on_epoch, on_grid)
    Path(model_path).parent.mkdir(parents=True, exist_ok=True)
    return str(save_payload(payload, model_path))


class FitGroup:
    """The fits of one run, stopped together when the run fails or is interrupted (the task
    pool waits for its tasks, and a fit nobody will use should not run on)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._fits: list[FitProcess] = []
        self._stopped = False

    def add(self, fit: FitProcess) -> None:
        with self._lock:
            if self._stopped:
                fit.stop()
                raise FitStopped("the run stopped before this GAN fit began")
            self._fits.append(fit)

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            fits = list(self._fits)
        for fit in fits:
            fit.stop()


def start_fit(train: LabeledDataset, gan: GANConfig, prefix: str, threads: int) -> FitProcess:
    """The child process fitting ``gan`` (sample grids only for the first generator)."""
    return FitProcess(train, gan, threads, gan.grid_every if prefix == "gan_" else 0)


def _reuse(prepared: Prepared, spec: GeneratorSpec, tracker: Tracker, run_id: str) -> Fitted | None:
    """The cached generator of ``spec`` (its losses copied to this run), or None to fit it."""
    model_path = spec.model_path
    if _no_cached_file(prepared, spec):
        return None
    # weights-only: a tampered or truncated file fails here, it never runs code; one whose
    # contents no longer match their recorded SHA-256 (damaged on disk) fails here too
    try:
        history = loaded(str(model_path)).history.rows
    except (InvalidDataError, IntegrityError) as err:
        get_run_logger().warning("cached GAN unusable (%s); training it again", err)
        return None
    # the losses were logged by the run that trained it; copy them to this run
    tracker.log_history(run_id, history, spec.prefix)
    return Fitted(spec, str(model_path), cached=True)


def _no_cached_file(prepared: Prepared, spec: GeneratorSpec) -> bool:
    """``spec`` must be fitted whatever its file holds: there is none, or ``retrain``."""
    return prepared.cfg.orchestration.retrain or not spec.model_path.is_file()


def _threads(n_fits: int) -> int:
    """Torch threads per fit when ``n_fits`` run at once: this process's torch threads (the CLI
    sets one, as for every task), at most the cores shared out, at least one."""
    import torch

    share = usable_cores() // max(1, min(n_fits, usable_cores()))
    return max(1, min(torch.get_num_threads(), share))


@contextmanager
def fitting_early(prepared: Prepared) -> Iterator[dict[str, FitProcess]]:
    """Start the first fits the run needs (one per core) now, in child processes, and yield them
    by model path; `fit_generators` takes them over (pops them) when handed the dict. Any it
    did not take (a failed or interrupted run) are stopped on the way out; the fits it took are
    the flow's to stop (`FitGroup`)."""
    gens = prepared.generators if prepared.uses_generator else []
    todo = [spec for spec in gens if _no_cached_file(prepared, spec)][: usable_cores()]
    early = {
        str(spec.model_path): start_fit(
            prepared.splits.train, spec.config, spec.prefix, _threads(len(todo))
        )
        for spec in todo
    }
    try:
        yield early
    finally:
        for fit in list(early.values()):  # those the flow did not take over
            fit.stop()


def fit_generators(
    prepared: Prepared,
    tracker: Tracker,
    run_id: str,
    progress: Progress = SILENT,
    early: dict[str, FitProcess] | None = None,
) -> list[Fitted]:
    """The K generators (none when no arm uses one), fitted or reused.

    Generator i has GAN seed ``gan.seed + i`` and its own cache key, so a run with one more
    generator trains only that one. Losses: ``gan_<name>`` for the first generator (plots and
    the logged model are its), ``gan_seed<S>_<name>`` for the others. Each fit runs in its own
    child process (`augment.experiment.fit_process`), at most one per CPU core at a time, each
    with the cores shared out as torch threads; a task per fit relays its losses and grids to
    MLflow. Fits started before the flow (``early``, from `fitting_early`) are taken over.
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
    early = {} if early is None else early  # begun before the flow: time counts from them
    begun = [early[str(s.model_path)].started for _, s in todo if str(s.model_path) in early]
    since = min(begun, default=None)
    progress.start(f"GAN fit ({len(todo)} generator(s))", epochs, "epochs", since)
    group = FitGroup()
    with ThreadPoolTaskRunner(max_workers=workers) as runner:
        try:  # inside the pool: on the way out it waits for its tasks, which wait for the fits
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
                        "threads": _threads(len(todo)),
                        "started": early.pop(str(spec.model_path), None),
                        "group": group,
                    },
                )
                for i, spec in todo
            }
            for i, spec in todo:
                done[i] = Fitted(spec, futures[i].result(), cached=False)
        except BaseException:
            group.stop()  # a failed or interrupted run: nobody will use the other fits
            raise
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
