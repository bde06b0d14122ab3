"""augment as a building block of your own Prefect flows: two tasks and a subflow that take a
DataFrame and return plain JSON-able results with MLflow URIs.

    from prefect import flow
    from flows.blocks import balance, evaluate_arms, fit_generator

    @flow
    def nightly():
        frame = pd.read_parquet("customers.parquet")          # your data, your way
        result = evaluate_arms(frame, "churned", arms=["baseline", "gan", "smote"])
        result["classifier_uri"]                              # the verdict's best classifier
        gen = fit_generator(frame, "churned", epochs=100)      # {"model_uri": "runs:/...", ...}
        balance(frame, "churned", gen["model_uri"], "balanced.parquet")

Tracking goes to the store of ``mlflow.yml`` / ``MLFLOW_TRACKING_URI`` as for ``augment run``;
user mistakes raise `augment.exceptions.AugmentError` (its message is the one line the CLI
would print). Nothing here changes the frame it is given.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
from prefect import task
from prefect.cache_policies import NO_CACHE

from augment.atomic import atomic_write
from augment.exceptions import ConfigError, InvalidDataError

DEFAULT_CACHE = ".augment/cache"


def frame_file(frame: pd.DataFrame, cache_dir: str | Path = DEFAULT_CACHE) -> Path:
    """The frame as a Parquet file named by its content under ``cache_dir/frames`` (written
    once; the same rows give the same file, so the run's data hash and GAN cache hold)."""
    if not isinstance(frame, pd.DataFrame):
        raise InvalidDataError(f"expected a pandas DataFrame, got {type(frame).__name__}")
    digest = hashlib.sha256()
    digest.update(json.dumps([[str(c), str(t)] for c, t in frame.dtypes.items()]).encode())
    digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    path = Path(cache_dir).expanduser().resolve() / "frames" / f"{digest.hexdigest()[:32]}.parquet"
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, lambda tmp: frame.to_parquet(tmp, index=False))
    return path


def evaluate_arms(
    frame: pd.DataFrame,
    label: str,
    arms: list[str] | None = None,
    seeds: int | None = None,
    config: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Run the augmentation flow on ``frame`` (``label`` its class column) as a subflow of the
    calling flow: the same checks, arms, verdict, MLflow runs and models as ``augment run``.

    ``config`` holds any other run keys (as in a YAML config: ``gan``, ``data``, ...).
    Returns the JSON summary plus ``classifier_uri`` (the verdict's best arm's classifier,
    when one was logged) and ``generator_uri``.
    """
    from augment.config import build_config
    from augment.data.tabular import dataset_from_frame
    from augment.tracking import load_tracking_config, run_tags
    from flows.augmentation import augmentation_flow

    values = json.loads(json.dumps(config or {}))  # a copy; the caller's dict is not touched
    if not isinstance(values, dict):
        raise ConfigError(f"config must be a mapping of run keys, got {type(config).__name__}")
    missing = (values.get("data") or {}).get("missing", "error")
    dataset_from_frame(frame, label, "evaluate_arms(frame)", missing)  # before any write
    cache_dir = (values.get("orchestration") or {}).get("cache_dir", DEFAULT_CACHE)
    source = frame_file(frame, cache_dir)
    values["data"] = {**(values.get("data") or {}), "source": str(source), "label": label}
    if arms is not None:
        values["arms"] = list(arms)
    if seeds is not None:
        values["seeds"] = seeds
    summary = augmentation_flow(build_config(values, "evaluate_arms(config=...)"))
    result = json.loads(json.dumps(summary, default=str))
    tags = run_tags(load_tracking_config(), summary["mlflow_run_id"])
    result["classifier_uri"] = tags.get("classifier_uri")
    result["generator_uri"] = summary.get("generator_uri")
    return result


@task(cache_policy=NO_CACHE, task_run_name="augment-fit-generator")
def fit_generator(
    frame: pd.DataFrame,
    label: str,
    epochs: int | None = None,
    seed: int = 0,
    gan: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Fit the conditional GAN on every row of ``frame`` and log it as an MLflow model (the
    same pyfunc as a run's generator: `augment generate` and `balance` read it).

    Returns ``{"mlflow_run_id", "model_uri", "classes", "rows"}``.
    """
    from augment.config import build_config
    from augment.data.tabular import dataset_from_frame
    from augment.experiment.gan_fit import fit_generator as fit
    from augment.gan.persist import save_model
    from augment.tracking import Tracker, load_tracking_config

    values = {**(gan or {}), "seed": seed, **({} if epochs is None else {"epochs": epochs})}
    cfg = build_config({"gan": values}, "fit_generator(gan=...)").gan
    data = dataset_from_frame(frame, label, "fit_generator(frame)")
    model = fit(data, cfg, progress=False)  # torch threads: the model's own choice
    tracker = Tracker(load_tracking_config())
    params = {"gan": cfg.model_dump(mode="json"), "label": label, "rows": len(frame)}
    tags = {"augment.block": "fit_generator", "data_hash": data.content_hash()}
    run_id = tracker.start_parent("fit_generator", params, tags)
    try:
        with tempfile.TemporaryDirectory(prefix="augment-fit-") as tmp:
            path = save_model(model, Path(tmp) / "generator.pt")
            uri = tracker.log_generator(run_id, path, data.class_names, label)
    except BaseException:
        tracker.finish(run_id, "FAILED")
        raise
    tracker.finish(run_id, "FINISHED")
    return {
        "mlflow_run_id": run_id,
        "model_uri": uri,
        "classes": list(data.class_names),
        "rows": len(frame),
    }


@task(cache_policy=NO_CACHE, task_run_name="augment-balance")
def balance(
    frame: pd.DataFrame,
    label: str,
    model_uri: str,
    out: str | Path,
    sampling_strategy: Any = "auto",
    seed: int = 0,
    force: bool = False,
) -> dict[str, Any]:
    """``frame`` plus generated rows from the logged generator ``model_uri`` up to the class
    counts ``sampling_strategy`` asks for (imbalanced-learn's meaning), written to ``out``
    (.csv/.parquet; an existing file only with ``force``) with an ``is_synthetic`` column
    (``_is_synthetic`` when the frame has one).

    Returns ``{"path", "rows_real", "rows_added": {class: n}, "model_uri"}``.
    """
    from augment import export
    from augment.balance import balance_plan
    from augment.data.tabular import dataset_from_frame
    from augment.outputs import Outputs
    from augment.tracking import load_generator, load_tracking_config

    target = Outputs(force=force).file(out, "out", suffixes=export.TABLE_FORMATS)
    export.check_table_target(target, force)
    data = dataset_from_frame(frame, label, "balance(frame)")
    plan = balance_plan(data.y, sampling_strategy, data.class_names)
    wanted = {data.class_names[c]: int(n) for c, n in plan.items() if n > 0}
    model, meta = load_generator(model_uri, load_tracking_config())
    unknown = sorted(set(wanted) - set(meta["class_names"]))
    if unknown:
        raise InvalidDataError(
            f"the generator {model_uri} does not know class(es) {unknown}; it knows"
            f" {meta['class_names']}"
        )
    from augment.names import free_column

    flag = free_column("is_synthetic", frame.columns)  # never a user's column
    rows = [frame.assign(**{flag: False})]
    if wanted:
        request = pd.DataFrame({"class": list(wanted), "n": list(wanted.values())})
        samples = model.predict(request, params={"random_state": seed})
        as_written = {str(v): v for v in frame[label].dropna().unique()}
        samples[label] = samples.pop(meta["class_column"]).map(as_written)
        synthetic = samples[list(frame.columns)].astype(frame.dtypes.to_dict())
        rows.append(synthetic.assign(**{flag: True}))
    both = pd.concat(rows, ignore_index=True)
    if export.TABLE_FORMATS[target.suffix.lower()] == "parquet":
        atomic_write(target, lambda tmp: both.to_parquet(tmp, index=False))
    else:
        atomic_write(target, lambda tmp: both.to_csv(tmp, index=False))
    return {
        "path": str(target),
        "rows_real": len(frame),
        "rows_added": wanted,
        "model_uri": model_uri,
    }
