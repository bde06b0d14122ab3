"""Can the tracking store be used? Answered in seconds, before any work, without retries."""

from __future__ import annotations

import os
from pathlib import Path

from augment.environ import environ
from augment.exceptions import ConfigError
from augment.tracking.config import TrackingConfig


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

    try:
        with environ({k: v.format(timeout=timeout_s) for k, v in _FAST_FAIL.items()}):
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


# one try, short timeout: a reachability probe must not sit in the client's retry backoff
_FAST_FAIL = {"MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0", "MLFLOW_HTTP_REQUEST_TIMEOUT": "{timeout}"}
