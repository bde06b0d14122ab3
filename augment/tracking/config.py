"""Where runs are tracked: ``mlflow.yml`` (or the packaged default) and the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from importlib import resources
from pathlib import Path
from urllib.parse import quote, unquote

import yaml

from augment.exceptions import ConfigError

LOG_CLASSIFIERS = ("best", "all", "none")  # which arms' retrained classifiers a run logs


@dataclass(frozen=True)
class TrackingConfig:
    tracking_uri: str = "sqlite:///mlflow.db"
    experiment: str = "augment"
    registered_model: str | None = None
    # "latest" is reserved by MLflow (models:/name/latest), so the newest version gets "current"
    model_alias: str = "current"
    tags: dict[str, str] = field(default_factory=dict)
    # the classifier retrained on the verdict's best arm ("all": every arm's; "none": none)
    log_classifiers: str = "best"
    # its registered name when registered_model is set (None: "<registered_model>-classifier")
    classifier_model: str | None = None
    classifier_alias: str = "champion"  # alias moved to the newest classifier version
    source: str = "default"  # where tracking_uri came from (named in messages)

    @property
    def store_path(self) -> Path | None:
        """The local file a ``sqlite:///`` store lives in (absolute), or None for servers and
        in-memory stores."""
        if self.tracking_uri.startswith("sqlite:///"):
            return sqlite_target(self.tracking_uri)
        return None

    def describe(self) -> str:
        """The store as messages name it: the absolute URI and where it was configured."""
        return f"{self.tracking_uri} (from {self.source})"

    @property
    def classifier_name(self) -> str | None:
        """The registered model name of the retrained classifier, None when nothing is
        registered (``registered_model`` unset)."""
        if not self.registered_model:
            return None
        return self.classifier_model or f"{self.registered_model}-classifier"


_ALLOWED_KEYS = {f.name for f in fields(TrackingConfig)} - {"source"}
MAX_NAME = 250  # characters of a name (MLflow's experiment and model names allow more)


def _checked(values: dict, where: str) -> dict:
    """Every value of ``mlflow.yml`` of its field's type, read from the dataclass: text keys
    non-empty text (null: the default; "" turns an optional one off), ``tags`` a flat mapping
    of text or numbers."""
    out = {}
    for f in fields(TrackingConfig):
        if f.name not in values or f.name == "source":
            continue
        value = values[f.name]
        if f.name == "tags":
            if not isinstance(value, dict) or not all(
                isinstance(k, str | int)
                and isinstance(v, str | int | float)
                and not isinstance(v, bool)
                for k, v in value.items()
            ):
                raise ConfigError(
                    f"{where}: tags must be a mapping of names to text, got {value!r:.80}"
                )
            out["tags"] = {str(k): str(v) for k, v in value.items()}
            continue
        optional = "None" in str(f.type)
        if value is None:  # an empty key: its default
            continue
        if optional and value == "":
            out[f.name] = None  # off, as null
            continue
        if not isinstance(value, str) or not value.strip() or len(value) > MAX_NAME:
            allowed = "text (or null)" if optional else "text"
            raise ConfigError(
                f"{where}: {f.name} must be non-empty {allowed} of at most {MAX_NAME}"
                f" characters, got {value!r:.80}"
            )
        out[f.name] = value
    return out


def sqlite_target(uri: str) -> Path | None:
    """The file of a ``sqlite:///`` URI (also SQLite's own ``file:`` form), None when the
    database lives in memory (``:memory:``, an empty path, ``mode=memory``)."""
    rest = uri[len("sqlite:///") :]
    if rest.startswith("file:"):  # sqlite:///file:PATH?mode=...&uri=true
        path, _, query = rest[len("file:") :].partition("?")
        if "mode=memory" in query or path in ("", ":memory:"):
            return None
        return Path(unquote(path))
    if rest in ("", ":memory:"):
        return None
    return Path(rest)


def read_only_uri(uri: str) -> str:
    """``uri`` for reading only: a ``sqlite:///`` store opened with SQLite's ``mode=ro``, so
    neither MLflow nor SQLite can create, migrate or write it (nor a journal beside it);
    other stores as given."""
    path = sqlite_target(uri) if uri.startswith("sqlite:///") else None
    if path is None:
        return uri
    # the path percent-encoded whole: MLflow makes the "parent folder" of what follows
    # sqlite:/// before connecting, and a "/" in it would make it create a folder "file:"
    return f"sqlite:///file:{quote(str(path.resolve()), safe='')}?mode=ro&uri=true"


def resolved_uri(uri: str, base: Path) -> str:
    """A relative ``sqlite:///`` or file-store URI made absolute against ``base``: the store is
    resolved once, so every message, and a command run from another folder, names one place."""
    if uri.startswith("sqlite:///") and not uri.startswith("sqlite:////"):
        rest = uri[len("sqlite:///") :]
        if rest and rest != ":memory:" and not rest.startswith("file:"):
            return "sqlite:///" + str((base / rest).resolve())
    if "://" not in uri and uri:  # a plain path: MLflow's file store
        return str((base / uri).resolve())
    return uri


def require_store(cfg: TrackingConfig) -> None:
    """Read commands never create a store: a missing local one is an error naming it."""
    path = cfg.store_path
    if path is not None and not path.is_file():
        raise ConfigError(
            f"no tracking store at {path} (tracking_uri {cfg.describe()}); run `augment run`"
            " here first, or point MLFLOW_TRACKING_URI / mlflow.yml at the store"
        )


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
        where = str(local.resolve()) if local.is_file() else "the packaged mlflow.yml"
    else:
        p = Path(path)
        if not p.is_file():
            raise ConfigError(f"tracking config {p} does not exist")
        text, where = p.read_text(encoding="utf-8"), str(p.resolve())
    values = yaml.safe_load(text) or {}
    if not isinstance(values, dict):
        raise ConfigError(f"{where}: must hold a mapping")
    unknown = sorted(set(values) - _ALLOWED_KEYS)
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {unknown}; allowed: {sorted(_ALLOWED_KEYS)}")
    choice = values.get("log_classifiers")
    if choice is not None and choice not in LOG_CLASSIFIERS:
        raise ConfigError(
            f"{where}: log_classifiers must be one of {list(LOG_CLASSIFIERS)}, got {choice!r:.80}"
        )
    cfg = TrackingConfig(**_checked(values, where), source=where)
    env = os.environ.get("MLFLOW_TRACKING_URI")
    if env:
        cfg = replace(cfg, tracking_uri=env, source="MLFLOW_TRACKING_URI")
    # relative stores are relative to the working directory (as MLflow reads them): resolved
    # here, once, so the run's end message and a later read name the same absolute place
    return replace(cfg, tracking_uri=resolved_uri(cfg.tracking_uri, Path.cwd()))
