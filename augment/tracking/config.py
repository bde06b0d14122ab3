"""Where runs are tracked: ``mlflow.yml`` (or the packaged default) and the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path

import yaml

from augment.exceptions import ConfigError

_ALLOWED_KEYS = {"tracking_uri", "experiment", "registered_model", "model_alias", "tags"}


@dataclass(frozen=True)
class TrackingConfig:
    tracking_uri: str = "sqlite:///mlflow.db"
    experiment: str = "augment"
    registered_model: str | None = None
    # "latest" is reserved by MLflow (models:/name/latest), so the newest version gets "current"
    model_alias: str = "current"
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
        cfg = replace(cfg, tracking_uri=env)
    return cfg
