"""MLflow at the edge: the only module that imports mlflow.

Everything goes through an explicit `MlflowClient` and run ids (never the fluent, thread-local
active run), so tasks in worker threads log to the right run.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from augment.exceptions import ConfigError

_ALLOWED_KEYS = {"tracking_uri", "experiment", "registered_model", "tags"}


@dataclass(frozen=True)
class TrackingConfig:
    tracking_uri: str = "sqlite:///mlflow.db"
    experiment: str = "augment"
    registered_model: str | None = None
    tags: dict[str, str] = field(default_factory=dict)


def load_tracking_config(path: str | Path | None = None) -> TrackingConfig:
    """Read ``mlflow.yml`` (given path, else ./mlflow.yml, else the packaged default).

    ``MLFLOW_TRACKING_URI`` in the environment overrides ``tracking_uri``.
    """
    if path is None:
        local = Path("mlflow.yml")
        text = (
            local.read_text(encoding="utf-8")
            if local.is_file()
            else (resources.files("augment").joinpath("mlflow.yml").read_text(encoding="utf-8"))
        )
        where = str(local) if local.is_file() else "packaged mlflow.yml"
    else:
        p = Path(path)
        if not p.is_file():
            raise ConfigError(f"tracking config {p} does not exist")
        text, where = p.read_text(encoding="utf-8"), str(p)
    values = yaml.safe_load(text) or {}
    if not isinstance(values, dict):
        raise ConfigError(f"{where}: must hold a mapping")
    unknown = sorted(set(values) - _ALLOWED_KEYS)
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {unknown}; allowed: {sorted(_ALLOWED_KEYS)}")
    cfg = TrackingConfig(**{k: v for k, v in values.items() if v is not None})
    env = os.environ.get("MLFLOW_TRACKING_URI")
    if env:
        cfg = TrackingConfig(env, cfg.experiment, cfg.registered_model, dict(cfg.tags))
    return cfg


def _writable_dir(path: Path) -> bool:
    """The nearest existing ancestor of ``path`` is a writable directory."""
    path = path.resolve()
    while not path.exists() and path != path.parent:
        path = path.parent
    return path.is_dir() and os.access(path, os.W_OK)


def check_reachable(cfg: TrackingConfig, timeout_s: int = 5) -> None:
    """Fail in seconds, before any work, when the tracking store cannot be used.

    File stores (``sqlite:///``, ``file:`` or a plain path) need a writable folder; nothing is
    created here. Servers get one request with no retries and a ``timeout_s`` timeout (the
    MLflow client would otherwise retry 7 times with exponential backoff, about 4 minutes).
    """
    uri = cfg.tracking_uri
    fix = "start the server or set MLFLOW_TRACKING_URI / tracking_uri in mlflow.yml"
    scheme = uri.split(":", 1)[0].lower() if "://" in uri else ""
    if scheme in ("", "file", "sqlite"):
        if scheme == "sqlite":
            target = uri[len("sqlite:///") :]
            if not target or target == ":memory:":
                return
        else:
            target = uri[len("file://") :] if scheme == "file" else uri
        folder = Path(target).parent if scheme == "sqlite" else Path(target)
        if not _writable_dir(folder):
            raise ConfigError(f"MLflow tracking URI {uri}: folder {folder} is not writable; {fix}")
        return
    from mlflow.tracking import MlflowClient

    saved = {k: os.environ.get(k) for k in _FAST_FAIL}
    os.environ.update({k: v.format(timeout=timeout_s) for k, v in _FAST_FAIL.items()})
    try:
        MlflowClient(tracking_uri=uri).search_experiments(max_results=1)
    except Exception as err:  # the client raises MlflowException, requests errors, ...
        text = str(err)
        if "Connection refused" in text or "NewConnectionError" in text:
            reason = "connection refused"
        elif "timed out" in text.lower() or "timeout" in text.lower():
            reason = f"no answer within {timeout_s} s"
        else:
            reason = (text.splitlines() or [type(err).__name__])[0][:200]
        raise ConfigError(f"MLflow tracking URI {uri} is unreachable ({reason}); {fix}") from None
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


# one try, short timeout: a reachability probe must not sit in the client's retry backoff
_FAST_FAIL = {"MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0", "MLFLOW_HTTP_REQUEST_TIMEOUT": "{timeout}"}


def _flat_params(prefix: str, value: Any, out: dict[str, str]) -> dict[str, str]:
    if isinstance(value, dict):
        for k, v in value.items():
            _flat_params(f"{prefix}.{k}" if prefix else str(k), v, out)
    else:
        out[prefix] = str(value)[:500]
    return out


class Tracker:
    """Parent run per flow run, child run per arm, metrics and artifacts through run ids."""

    def __init__(self, cfg: TrackingConfig) -> None:
        from mlflow.tracking import MlflowClient  # lazy: `augment --help` stays fast

        self.cfg = cfg
        self.client = MlflowClient(tracking_uri=cfg.tracking_uri)

    def experiment_id(self) -> str:
        """Get or create the experiment; also proves the tracking URI is reachable."""
        exp = self.client.get_experiment_by_name(self.cfg.experiment)
        if exp is not None:
            return exp.experiment_id
        return self.client.create_experiment(self.cfg.experiment)

    def start_parent(self, run_name: str, params: dict[str, Any], tags: dict[str, str]) -> str:
        run = self.client.create_run(
            self.experiment_id(),
            run_name=run_name,
            tags={**self.cfg.tags, **tags},
        )
        flat = _flat_params("", params, {})
        from mlflow.entities import Param

        items = [Param(k, v) for k, v in flat.items()]
        for i in range(0, len(items), 100):
            self.client.log_batch(run.info.run_id, params=items[i : i + 100])
        return run.info.run_id

    def log_metrics(self, run_id: str, metrics: dict[str, float], step: int = 0) -> None:
        import time

        from mlflow.entities import Metric

        now = int(time.time() * 1000)
        items = [Metric(k, float(v), now, step) for k, v in metrics.items() if v is not None]
        if items:
            self.client.log_batch(run_id, metrics=items)

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
            tags={"mlflow.parentRunId": parent_id, "arm": arm, **self.cfg.tags},
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

    def finish(self, run_id: str, status: str = "FINISHED") -> None:
        self.client.set_terminated(run_id, status)

    def set_tags(self, run_id: str, tags: dict[str, str]) -> None:
        for k, v in tags.items():
            self.client.set_tag(run_id, k, v)
