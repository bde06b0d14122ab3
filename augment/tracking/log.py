"""Logging a run: a parent run per flow run, a child run per arm, metrics, artifacts, datasets.

Everything goes through an explicit `MlflowClient` and run ids (never the fluent, thread-local
active run), so tasks in worker threads log to the right run.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import tempfile
import time
import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import mlflow
import numpy as np

from augment.names import renamed, safe_name
from augment.tracking import store_template
from augment.tracking.config import TrackingConfig, sqlite_target

log = logging.getLogger("augment.tracking")

NAME_TAG = "augment.name."  # + a safe form: the original class label or column name
MAX_ORIGINAL = 5000  # characters of an original kept in its tag (MLflow allows 8000)


@contextmanager
def _sqlite_store_lock(uri: str) -> Iterator[None]:
    """Hold an exclusive file lock beside a SQLite store while it is created / migrated.

    MLflow creates and migrates a SQLite store on first use; two processes doing that at once
    (overlapping scheduled runs) both fail and leave ``_alembic_tmp_*`` tables that break the
    store for good. The lock (``<db>.lock``, fcntl) makes the second process wait for the
    first; once the store exists, taking it costs microseconds.
    """
    if not uri.startswith("sqlite:///") or uri[len("sqlite:///") :] in ("", ":memory:"):
        yield
        return
    import fcntl

    db = Path(uri[len("sqlite:///") :])
    # a new store's folder (the start probe checked that it can be made): made here, where
    # the store is first written, so a refused run leaves nothing
    db.parent.mkdir(parents=True, exist_ok=True)
    with open(db.with_name(db.name + ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            _drop_interrupted_migration(db)
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _drop_interrupted_migration(db: Path) -> None:
    """Drop the ``_alembic_tmp_*`` tables a migration left when it was stopped half-way (a full
    disk, a kill): with them every later migration fails ("table _alembic_tmp_experiments
    already exists"). They only ever hold a copy made during a migration step, which then runs
    again from the start; called under the store lock, so no migration is running."""
    if not db.is_file():
        return
    import sqlite3

    con = sqlite3.connect(db, timeout=30)
    try:
        tables = con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        names = [r[0] for r in tables if r[0].startswith("_alembic_tmp_")]
        for name in names:
            con.execute(f'DROP TABLE "{name}"')
        con.commit()
    finally:
        con.close()
    if names:
        log.warning("%s: dropped %s left by an interrupted migration", db, ", ".join(names))


def _flat_params(prefix: str, value: Any, out: dict[str, str]) -> dict[str, str]:
    """Nested dicts as ``a.b.c`` keys; each part as `safe_name` (dict keys can be class labels:
    ``config.sampling_strategy.<class>``)."""
    if isinstance(value, dict):
        for k, v in value.items():
            _flat_params(f"{prefix}.{safe_name(k)}" if prefix else safe_name(k), v, out)
    else:
        out[prefix] = str(value)[:500]
    return out


def _dict_keys(value: Any) -> Iterator[Any]:
    """Every dict key of a nested dict, at any depth."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from _dict_keys(v)


class Tracker:
    """Parent run per flow run, child run per arm, metrics and artifacts through run ids."""

    def __init__(self, cfg: TrackingConfig) -> None:
        from mlflow.tracking import MlflowClient  # lazy: `augment --help` stays fast

        self.cfg = cfg
        from augment.tracking.quiet import quiet_mlflow

        # the client creates / migrates the store (under a lock, without its INFO lines); a
        # new SQLite store starts from the user's migrated empty copy when there is one
        with _sqlite_store_lock(cfg.tracking_uri), quiet_mlflow():
            uri = cfg.tracking_uri
            db = sqlite_target(uri) if uri.lower().startswith("sqlite:///") else None
            new = db is not None and not db.exists()
            seeded = new and store_template.seed(db)
            self.client = MlflowClient(tracking_uri=cfg.tracking_uri)
            self.client.search_experiments(max_results=1)  # tracking tables
            self.client.search_registered_models(max_results=1)  # registry tables, same file
            if new and not seeded:
                store_template.keep(db)

    def experiment_id(self) -> str:
        """Get or create the experiment; also proves the tracking URI is reachable."""
        exp = self.client.get_experiment_by_name(self.cfg.experiment)
        if exp is not None:
            return exp.experiment_id
        try:
            return self.client.create_experiment(self.cfg.experiment)
        except mlflow.exceptions.MlflowException:  # another run created it just now
            exp = self.client.get_experiment_by_name(self.cfg.experiment)
            if exp is None:
                raise
            return exp.experiment_id

    def start_parent(self, run_name: str, params: dict[str, Any], tags: dict[str, str]) -> str:
        run = self.client.create_run(
            self.experiment_id(),
            run_name=run_name,
            tags={**self.cfg.tags, **tags},
        )
        flat = _flat_params("", params, {})
        from mlflow.entities import Param

        items = [Param(k, v) for k, v in flat.items()]
        try:  # a run that exists is finished, whatever interrupts it (SIGTERM, Ctrl-C)
            for i in range(0, len(items), 100):
                self.client.log_batch(run.info.run_id, params=items[i : i + 100])
            self.record_names(run.info.run_id, _dict_keys(params))
        except BaseException:
            self.finish(run.info.run_id, "FAILED")
            raise
        return run.info.run_id

    def reap_orphans(self, current_run: str) -> list[str]:
        """Mark KILLED the RUNNING parent runs of the experiment whose process is gone.

        A run started by `augment run` records ``augment.host`` and ``augment.pid``; a process
        killed with ``kill -9`` cannot finish its run, so the next run on the same host does,
        with an ``augment.note`` saying why. Runs of other hosts, or whose process lives, are
        left alone. Returns the run ids marked.
        """
        host = socket.gethostname()
        running = self.client.search_runs(
            [self.experiment_id()],
            filter_string=f"attributes.status = 'RUNNING' and tags.`augment.host` = '{host}'",
        )
        marked = []
        for run in running:
            pid = run.data.tags.get("augment.pid", "")
            if run.info.run_id == current_run or not pid.isdigit() or _alive(int(pid)):
                continue
            note = (
                f"process {pid} on {host} ended without finishing this run (killed?);"
                f" marked KILLED by run {current_run}"
            )
            self.client.set_tag(run.info.run_id, "augment.note", note)
            self.client.set_terminated(run.info.run_id, "KILLED")
            marked.append(run.info.run_id)
        return marked

    def log_metrics(self, run_id: str, metrics: dict[str, float], step: int = 0) -> None:

        from mlflow.entities import Metric

        now = int(time.time() * 1000)
        items = [Metric(k, float(v), now, step) for k, v in metrics.items() if v is not None]
        if items:
            self.client.log_batch(run_id, metrics=items)

    def log_history(self, run_id: str, rows: list[dict[str, float]], prefix: str) -> None:
        """Per-epoch rows (with an ``epoch`` key) as metric steps, in batches of 1000."""

        from mlflow.entities import Metric

        now = int(time.time() * 1000)
        items = [
            Metric(f"{prefix}{k}", float(v), now, int(row["epoch"]))
            for row in rows
            for k, v in row.items()
            if k != "epoch" and v is not None
        ]
        for i in range(0, len(items), 1000):
            self.client.log_batch(run_id, metrics=items[i : i + 1000])

    def log_arm(
        self,
        parent_id: str,
        arm: str,
        per_seed: list[dict[str, float]],
        aggregate: dict[str, dict[str, Any]],
        params: dict[str, Any],
    ) -> str:
        """A child run for one arm: per-seed metrics as steps, mean/std/CI as final values."""
        parent = self.client.get_run(parent_id)
        run = self.client.create_run(
            parent.info.experiment_id,
            run_name=arm,
            tags={
                "mlflow.parentRunId": parent_id,
                "arm": arm,
                **self.cfg.tags,
                # the parent's dataset tags, so child runs filter by dataset in the UI too
                **{k: v for k, v in parent.data.tags.items() if k.startswith("dataset")},
            },
        )
        rid = run.info.run_id
        from mlflow.entities import Param

        self.client.log_batch(
            rid, params=[Param(k, str(v)) for k, v in {"arm": arm, **params}.items()]
        )
        for step, row in enumerate(per_seed):
            self.log_metrics(rid, {f"{m}_per_seed": v for m, v in row.items()}, step=step)
        final = {}
        for m, agg in aggregate.items():
            final[m] = agg["mean"]
            final[f"{m}_std"] = agg["std"]
            final[f"{m}_ci95_low"], final[f"{m}_ci95_high"] = agg["ci95"]
        self.log_metrics(rid, final)
        self.client.set_terminated(rid, "FINISHED")
        return rid

    def log_artifact(self, run_id: str, path: Path, subdir: str | None = None) -> None:
        self.client.log_artifact(run_id, str(path), subdir)

    def log_json(self, run_id: str, obj: dict[str, Any], name: str) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            p = Path(tmp) / name
            p.write_text(json.dumps(obj, indent=2, default=str), encoding="utf-8")
            self.client.log_artifact(run_id, str(p))

    def record_names(self, run_id: str, names: Iterable[Any]) -> dict[str, str]:
        """Tag ``augment.name.<safe form> = original`` for each name `safe_name` changes.

        Class labels and column names reach keys and file names in their safe form
        (`augment.names`); these tags say which original each one stands for. Returns the
        ``{original: safe form}`` recorded (empty when every name was already safe).
        """
        from mlflow.entities import RunTag

        changed = renamed(names)
        tags = [RunTag(f"{NAME_TAG}{s}", o[:MAX_ORIGINAL]) for o, s in changed.items()]
        for i in range(0, len(tags), 100):
            self.client.log_batch(run_id, tags=tags[i : i + 100])
        return changed

    def finish(self, run_id: str, status: str = "FINISHED") -> None:
        self.client.set_terminated(run_id, status)

    def set_tags(self, run_id: str, tags: dict[str, str]) -> None:
        for k, v in tags.items():
            self.client.set_tag(run_id, k, v)

    def run_url(self, run_id: str) -> str:
        """A link to the run in the MLflow UI (http servers), else ``URI run ID``."""
        exp = self.client.get_run(run_id).info.experiment_id
        uri = self.cfg.tracking_uri.rstrip("/")
        if uri.startswith(("http://", "https://")):
            return f"{uri}/#/experiments/{exp}/runs/{run_id}"
        return f"{uri} run {run_id}"

    def log_dataset(self, run_id: str, data: Any, context: str) -> None:
        """Log a `LabeledDataset` split as an MLflow dataset input (pandas / numpy)."""
        import mlflow.data
        from mlflow.entities import DatasetInput, InputTag

        name = f"{data.name}:{context}"
        source = _dataset_source(data.name)
        if data.kind == "table":
            labels = np.asarray(data.class_names, dtype=object)[data.y]
            df = data.X.assign(**{data.label: labels})
            ds = mlflow.data.from_pandas(df, source=source, targets=data.label, name=name)
        else:
            ds = mlflow.data.from_numpy(
                data.features_2d(), source=source, targets=data.y, name=name
            )
        tags = [InputTag("mlflow.data.context", context)]
        self.client.log_inputs(run_id, datasets=[DatasetInput(ds._to_mlflow_entity(), tags)])

    def log_generator(
        self, run_id: str, model_path: str | Path, class_names: list[str], label: str
    ) -> str:
        """Log the fitted GAN file as a pyfunc model (`augment.tracking.model`); its URI."""
        from augment.tracking.model import log_generator

        return log_generator(self, run_id, model_path, class_names, label)

    def comparison(self, last: int = 5, dataset: str | None = None) -> list[dict[str, Any]]:
        """The last finished parent runs with their arms' aggregates (`augment.tracking.read`)."""
        from augment.tracking.read import comparison

        return comparison(self, last, dataset)


def _dataset_source(name: str) -> Any:
    """Files and folders resolve to MLflow's local source; ``builtin:NAME`` to a code source."""
    from mlflow.data.code_dataset_source import CodeDatasetSource
    from mlflow.data.dataset_source_registry import resolve_dataset_source
    from mlflow.exceptions import MlflowException

    if Path(name).exists():
        try:
            with warnings.catch_warnings():  # "can be interpreted in multiple ways": all local
                warnings.filterwarnings("ignore", "The specified dataset source", UserWarning)
                return resolve_dataset_source(str(Path(name).resolve()))
        except MlflowException:
            pass
    return CodeDatasetSource({"augment.source": name})


def _alive(pid: int) -> bool:
    """A process with this id exists on this host."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True
