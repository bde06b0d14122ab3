"""The Prefect flow: the run as named steps over the library; MLflow through `augment.tracking`.

preflight -> open the MLflow run -> fit (or reuse) the generators -> arms x seeds and synthetic
quality on one task runner -> summary -> leakage check -> record. Nothing is written before
preflight has passed; a failure after it marks the MLflow run FAILED.
"""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from augment.config import RunConfig
from augment.exceptions import RunFailed
from augment.experiment.fit_process import FitProcess
from augment.experiment.generation import draw, run_selector
from augment.experiment.leakage import check_no_leakage, gan_arm_synthetic
from augment.experiment.memorisation import memorisation
from augment.experiment.pairing import generator_of
from augment.experiment.preflight import Prepared, preflight
from augment.experiment.summary import build_summary
from augment.progress import display
from augment.tracking import Tracker, load_tracking_config
from flows.evaluation import run_arms, run_quality
from flows.generators import fit_generators, fitting_early
from flows.models import Fitted
from flows.record import log_inputs, open_run, record
from flows.runners import make_task_runner
from flows.server import TemporaryAPI, using
from flows.watchdog import watch


def _transient(task, task_run, state) -> bool:
    """Retry reading the data only on I/O errors, never on a user mistake."""
    try:
        state.result()
    except OSError:
        return True
    except Exception:
        return False
    return False


@task(cache_policy=NO_CACHE, retries=2, retry_delay_seconds=2, retry_condition_fn=_transient)
def check_run(cfg: RunConfig) -> Prepared:
    return preflight(cfg)


@task(cache_policy=NO_CACHE)
def leakage_check(prepared: Prepared, fitted: list[Fitted]) -> dict:
    """The test split is unchanged since before generation and shares no row with the synthetic
    rows of any generator (each with the classifier seeds paired with it)."""
    synthetic = []
    for g, gen in enumerate(fitted):
        paired = range(prepared.cfg.n_classifier_seeds)
        classifier_seeds = [s for s in paired if generator_of(s, len(fitted)) == g]
        synthetic += gan_arm_synthetic(
            gen.model, prepared.splits.train, prepared.plan, classifier_seeds
        )
    return check_no_leakage(prepared.splits, synthetic, prepared.test_hash)


def memorisation_check(prepared: Prepared, fitted: list[Fitted]) -> dict | None:
    """DCR per class of the rows the gan arm trains on (first generator, seed 0) against the
    train split, with the test split as the never-seen reference
    (`augment.experiment.memorisation`)."""
    if not fitted:
        return None
    train = prepared.splits.train
    chooser = run_selector(train)
    X, y = draw(fitted[0].model, prepared.plan, chooser, 0, like=train.X, kind=train.kind)
    return memorisation(train, prepared.splits.test, X, y)


class _Outcome:
    """What became of the MLflow run when the flow body stopped: kept by the caller that asked
    (`run_local`), never in module state."""

    __slots__ = ("marked_failed", "run_id")

    def __init__(self) -> None:
        self.run_id: str | None = None
        self.marked_failed = False


def _mark_failed(tracker: Tracker, run_id: str, outcome: _Outcome | None) -> None:
    """Mark the run FAILED without hiding the error that stopped it: when the store cannot be
    written either (a full disk), the run stays RUNNING until the next run marks it KILLED."""
    try:
        tracker.finish(run_id, "FAILED")
        marked = True
    except Exception:
        marked = False
    if outcome is not None:
        outcome.run_id, outcome.marked_failed = run_id, marked


def _run(
    prepared: Prepared,
    progress: bool,
    early: dict[str, FitProcess] | None = None,
    outcome: _Outcome | None = None,
) -> dict[str, Any]:
    """The flow body: the named steps over a checked run."""
    cfg = prepared.cfg
    tracker = Tracker(load_tracking_config())
    run_id = open_run(prepared, tracker)
    watch(run_id, tracker.cfg.tracking_uri)  # a worker's SIGKILL leaves it RUNNING otherwise
    try:  # from here on, any failure or interrupt marks the MLflow run FAILED
        get_run_logger().info("MLflow parent run %s", run_id)
        log_inputs(prepared, tracker, run_id)
        shown = display(progress)
        fitted = fit_generators(prepared, tracker, run_id, shown, early)
        with make_task_runner(cfg.orchestration) as runner:  # one pool, no idle tail
            results = run_arms(runner, prepared, fitted, shown)
            quality = run_quality(runner, prepared, fitted)
        summary = build_summary(
            cfg, prepared.data, prepared.splits, results, quality, run_id, tracker.cfg.experiment
        ).with_checks(leakage_check(prepared, fitted), memorisation_check(prepared, fitted))
        summary = record(tracker, run_id, prepared, summary, results, fitted)
    except BaseException:
        _mark_failed(tracker, run_id, outcome)
        raise
    tracker.finish(run_id, "FINISHED")
    return summary.to_json()


@flow(name="augmentation", log_prints=True)
def augmentation_flow(config: RunConfig | None = None, progress: bool = False) -> dict[str, Any]:
    """Fit conditional GANs on the train split, compare arms on the real test split, track it.

    Returns the JSON summary (README, "JSON summary") with the MLflow parent run id.
    """
    return _run(check_run(config or RunConfig()), progress)


class CheckedRun:
    """A run that passed `preflight` in this process, with the GAN fits begun for it: handed to
    `checked_flow` as a parameter. Prefect cannot encode it, so it stores a placeholder (no copy
    of the data); the config goes beside it as a plain parameter for the UI."""

    __slots__ = ("early", "outcome", "prepared")

    def __init__(self, prepared: Prepared, early: dict[str, FitProcess]) -> None:
        self.prepared, self.early, self.outcome = prepared, early, _Outcome()


@flow(name="augmentation", log_prints=True, validate_parameters=False)
def checked_flow(config: RunConfig, checked: CheckedRun, progress: bool = False) -> dict[str, Any]:
    """`augmentation_flow` over a run checked beforehand (no second load of the data)."""
    return _run(checked.prepared, progress, checked.early, checked.outcome)


def run_local(
    prepared: Prepared, progress: bool = False, api: TemporaryAPI | None = None
) -> dict[str, Any]:
    """Run the flow on a run that has passed `preflight`, on the temporary Prefect ``api`` when
    one was started for it. The GAN fits start now, in child processes, while the server boots
    (the flow takes them over).

    Returns the summary. Anything that stops the run after its MLflow run was opened is raised
    as `RunFailed` (the run's id and whether it was marked FAILED) from the original error.
    """
    with fitting_early(prepared) as early:
        if api is not None:  # while the server boots: the imports the run needs anyway
            import augment.tracking.log  # noqa: F401  (mlflow)
            import augment.tracking.model  # noqa: F401  (mlflow.pyfunc)
        checked = CheckedRun(prepared, early)
        try:
            with using(api):
                return checked_flow(prepared.cfg, checked, progress=progress)
        except BaseException as err:
            outcome = checked.outcome
            if outcome.run_id is None:
                raise
            raise RunFailed(outcome.run_id, outcome.marked_failed) from err
