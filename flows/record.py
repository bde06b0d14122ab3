"""What a finished run records: child runs per arm, parent metrics, plots, the summary, the
generator model, the retrained classifier model(s) and the Prefect markdown artifact."""

from __future__ import annotations

import logging
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import numpy as np
from prefect import runtime
from prefect.artifacts import create_markdown_artifact

from augment.arms import ArmResult, get
from augment.cache import eval_cache_key
from augment.experiment.generation import draw, run_selector
from augment.experiment.preflight import Prepared
from augment.experiment.summary import Summary
from augment.names import safe_name
from augment.table import markdown_summary, verdict_lines
from augment.tracking import Tracker
from flows.classifier import log_classifiers
from flows.models import Fitted

log = logging.getLogger("augment.tracking")


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


def metric_name(arm: str) -> str:
    """MLflow metric names allow no "+": gan+classical -> gan_and_classical (then `safe_name`,
    which keeps every arm's name as it is)."""
    return safe_name(arm.replace("+", "_and_"))


def open_run(prepared: Prepared, tracker: Tracker) -> str:
    """The MLflow parent run, with the config, plan and tags (marked FAILED if interrupted)."""
    cfg, data = prepared.cfg, prepared.data
    run_id = tracker.start_parent(
        f"{data.name}-{runtime.flow_run.name or 'local'}",
        params={
            "config": cfg.model_dump(mode="json"),
            "plan": prepared.plan_json,
            "gan.seeds": cfg.n_generators,  # K as used (config.gan.seeds may be null: default)
        },
        tags={
            "dataset": data.name,
            "dataset_hash": prepared.data_hash,
            "git_commit": _git_commit(),
            "prefect_flow_run_id": str(runtime.flow_run.id or ""),
            # who owns the run while it is RUNNING (a later run reaps it if this one is killed)
            "augment.host": socket.gethostname(),
            "augment.pid": str(os.getpid()),
        },
    )
    return run_id


def log_inputs(prepared: Prepared, tracker: Tracker, run_id: str) -> None:
    """The train and test splits as the run's MLflow dataset inputs; runs of this host left
    RUNNING by a killed process are marked KILLED."""
    for orphan in tracker.reap_orphans(run_id):
        log.warning("MLflow run %s was left RUNNING by a killed process: marked KILLED", orphan)
    tracker.log_dataset(run_id, prepared.splits.train, "train")
    tracker.log_dataset(run_id, prepared.splits.test, "test")
    train = prepared.splits.train  # the originals of the names keys and files use safe forms
    columns = [*train.X.columns, train.label] if train.kind == "table" else []
    tracker.record_names(run_id, [*train.class_names, *columns])


def _draw(
    out: Path, prepared: Prepared, results: dict[str, ArmResult], fitted: list[Fitted]
) -> None:
    """Recall bars, confusions; the first generator's loss curves, samples or marginals; the
    other generators' loss curves as ``gan_loss_curves_seed<S>.png``."""
    from augment import plots  # matplotlib, only when drawing

    train = prepared.splits.train
    names = train.class_names
    plots.recall_bars(
        {a: r.per_class_recall for a, r in results.items()}, names, out / "per_class_recall.png"
    )
    for a, r in results.items():
        plots.confusion(r.confusion, names, f"{a} (summed over seeds)", out / f"confusion_{a}.png")
    for g in fitted[1:]:
        plots.loss_curves(g.model.history, out / f"gan_loss_curves_seed{g.spec.seed}.png")
    if not fitted:
        return
    model = fitted[0].model
    plots.loss_curves(model.history, out / "gan_loss_curves.png")
    if train.kind == "image":
        plots.sample_grid(model, names, out / "sample_grid.png")
        return
    counts = np.bincount(train.y, minlength=train.n_classes)
    plan = {c: max(int(n), 100) for c, n in enumerate(counts)}
    # the rows the gan arm trains on
    syn, y_syn = draw(model, plan, run_selector(train), 0, like=train.X)
    plots.class_marginals(
        train.X, train.y, syn, y_syn, names, train.discrete, out / "class_marginals.png"
    )


def _plots(
    tracker: Tracker,
    run_id: str,
    prepared: Prepared,
    results: dict[str, ArmResult],
    fitted: list[Fitted],
) -> Path:
    """Draw the run's plots, or reuse the PNGs of an identical earlier run, and log them.

    The plots depend only on the results, the generators and the plotting code, so they are
    cached like the results: a fully cached run does not draw again (seconds on every run).
    """
    key = eval_cache_key(
        prepared.eval_key,
        plots={a: r.to_json() for a, r in results.items()},
        generators=[g.spec.key for g in fitted],
    )
    folder = prepared.results_dir.parent / "plots" / key
    if not folder.is_dir() or prepared.cfg.orchestration.retrain:
        folder.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=folder.parent) as tmp:
            _draw(Path(tmp), prepared, results, fitted)
            shutil.rmtree(folder, ignore_errors=True)
            os.replace(tmp, folder)  # all the PNGs or none
            Path(tmp).mkdir()  # for TemporaryDirectory's cleanup
    for f in sorted(folder.glob("*.png")):
        tracker.log_artifact(run_id, f, "plots")
    return folder


def _report(
    tracker: Tracker, run_id: str, prepared: Prepared, summary: Summary, plots: Path
) -> Path:
    """The self-contained HTML report, kept under the cache folder and logged to the run."""
    from augment.report import write_report

    path = Path(prepared.cfg.orchestration.cache_dir).resolve() / "reports" / f"{run_id}.html"
    config = prepared.cfg.model_dump(mode="json")
    write_report(summary, config, plots, path, f"{tracker.cfg.describe()}, run {run_id}")
    tracker.log_artifact(run_id, path)
    return path


def record(
    tracker: Tracker,
    run_id: str,
    prepared: Prepared,
    summary: Summary,
    results: dict[str, ArmResult],
    fitted: list[Fitted],
) -> Summary:
    """Everything the MLflow run and the Prefect flow run keep; returns ``summary`` with the
    report's path and, when a generator was fitted, its model's URI (``summary.json`` in the
    MLflow run is logged before the URI is known, so it has no ``generator_uri``)."""
    cfg = prepared.cfg
    for arm, res in results.items():
        # the classifier as resolved (cnn / random_forest / ...), not "auto"
        params = {"seeds": cfg.n_classifier_seeds, "classifier": summary.classifier}
        params["n_train"] = res.n_train
        if get(arm).uses_generator:
            params |= {"gan.seeds": cfg.n_generators, "gan_seeds": summary.gan_seeds}
        tracker.log_arm(run_id, arm, res.per_seed, summary.arms[arm], params)
    parent = dict(summary.synthetic_quality)
    parent |= {f"gap_recovered_{metric_name(a)}": g for a, g in summary.gap_recovered.items()}
    for arm, d in summary.delta_vs_baseline.items():
        parent |= {f"delta_{m}_{metric_name(arm)}": v for m, v in d.items()}
    for name, dcr in ((summary.memorisation or {}).get("per_class") or {}).items():
        if dcr["ratio"] is not None:  # per class: synthetic vs held-out real distance to train
            parent[f"dcr_ratio_{safe_name(name)}"] = dcr["ratio"]
    tracker.log_metrics(run_id, parent)
    said = verdict_lines(summary)
    if said:  # the answer in words, in the runs list of the MLflow UI
        tracker.set_tags(run_id, {"augment.verdict": " ".join(x.strip() for x in said[:2])})
    plots = _plots(tracker, run_id, prepared, results, fitted)
    summary = summary.with_report(str(_report(tracker, run_id, prepared, summary, plots)))
    tracker.log_json(run_id, summary.to_json(), "summary.json")
    if fitted:  # the first generator (GAN seed gan.seed) is the logged model
        train = prepared.splits.train
        uri = tracker.log_generator(run_id, fitted[0].path, train.class_names, train.label)
        summary = summary.with_generator(uri)
    log_classifiers(tracker, run_id, prepared, summary, results, fitted)
    create_markdown_artifact(
        key="augment-comparison",
        markdown=markdown_summary(summary, tracker.run_url(run_id)),
        description=f"augment: arms compared on {prepared.data.name}",
    )
    return summary
