"""A logged augment model read back from its plain files: the loader the generator
(`augment.tracking.model`) and the classifier (`augment.tracking.classifier_model`) share.

Nothing in the model directory is executed or unpickled: ``MLmodel`` is read as YAML, its
metadata checked against the model's schema before use, the weights file checked against the
SHA-256 that metadata records (`IntegrityError` naming it), and the model built by this
installed package's code. Every other failure is a one-line `ConfigError` naming the model URI.
"""

from __future__ import annotations

import hashlib
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from augment.exceptions import ConfigError, IntegrityError
from augment.tracking.fluent import tracking_store


def file_sha256(path: str | Path) -> str:
    """The SHA-256 of a file's bytes (hex)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def verify_file(path: str | Path, recorded: Any, where: str, shown: str | None = None) -> None:
    """`IntegrityError` naming ``path`` (or ``shown``) unless its bytes have the SHA-256
    ``recorded`` in ``where`` (a missing digest is no proof: the file is unverified, so refused
    too)."""
    name = shown or path
    if not isinstance(recorded, str) or not re.fullmatch(r"[0-9a-f]{64}", recorded):
        raise IntegrityError(
            f"{name}: {where} records no valid SHA-256 of this weights file ({recorded!r:.80}),"
            " so it cannot be verified (logged by an older augment, or damaged)"
        )
    actual = file_sha256(path)
    if actual != recorded:
        raise IntegrityError(
            f"{name}: the weights file's SHA-256 {actual[:16]}... does not match"
            f" {recorded[:16]}... recorded in {where}; the file is damaged"
        )


@dataclass
class ArtifactContext:
    """Stands in for MLflow's PythonModelContext: a pyfunc's artifacts by name, local paths."""

    artifacts: dict[str, str]


def _first_line(err: BaseException) -> str:
    return str(err).splitlines()[0] if str(err) else type(err).__name__


def load_model_files(
    model_uri: str,
    tracking_uri: str,
    *,
    weights: str,
    marker: str,
    not_ours: str,
    check: Callable[[dict[str, Any], str], Any],
    model_cls: Callable[[], Any],
    errors: tuple[type[Exception], ...],
) -> tuple[Any, dict[str, Any]]:
    """The pyfunc model at ``model_uri`` (``runs:/``, ``models:/`` with a version or alias, or
    a local path) in the store ``tracking_uri``, built from its files, and its metadata.

    Parameters
    ----------
    weights : str
        The weights file's artifact name (``"generator"``, ``"classifier"``); its companion is
        ``"meta"``. Named in the message when either file is missing.
    marker : str
        A metadata key only this kind of model has; without it the model is refused with
        ``f"{model_uri!r} {not_ours}"``.
    check : callable
        ``check(meta, where)`` raises a `ConfigError` naming ``where`` on bad metadata.
    model_cls : callable
        Makes the empty pyfunc model whose ``load_context`` reads the two files.
    errors : tuple of exception types
        What ``load_context`` may raise that becomes a one-line `ConfigError`
        (an `IntegrityError` always stays one).
    """
    # downloaded to a folder of our own, removed once the weights are in memory
    with tempfile.TemporaryDirectory(prefix="augment-model-") as tmp:
        local, spec = _download(model_uri, tracking_uri, tmp)
        meta = dict(spec.get("metadata") or {}) if isinstance(spec, dict) else {}
        if marker not in meta:
            raise ConfigError(f"{model_uri!r} {not_ours}")
        where = f"model {model_uri!r}"
        check(meta, where)
        flavor = (spec.get("flavors") or {}).get("python_function") or {}
        root = local.resolve()
        paths = {}
        for name in (weights, "meta"):
            entry = (flavor.get("artifacts") or {}).get(name) or {}
            rel = entry.get("path") if isinstance(entry, dict) else None
            target = (local / str(rel)).resolve() if rel else None
            if target is None or root not in target.parents or not target.is_file():
                raise ConfigError(f"{model_uri!r}: the {weights}'s {name!r} file is missing")
            paths[name] = str(target)
        shown = f"{model_uri} ({Path(paths[weights]).relative_to(root)})"
        verify_file(paths[weights], meta.get("sha256"), f"the metadata of {where}", shown)
        model = model_cls()
        try:
            model.load_context(ArtifactContext(paths))
        except IntegrityError:
            raise
        except errors as err:  # e.g. skops' untrusted types, a state_dict of another shape
            raise ConfigError(f"cannot load model {model_uri!r}: {_first_line(err):.300}") from None
    return model, meta


def _download(model_uri: str, tracking_uri: str, tmp: str) -> tuple[Path, Any]:
    """The model's local folder and its parsed ``MLmodel``; a one-line `ConfigError` if either
    cannot be had."""
    import mlflow
    import mlflow.artifacts
    import yaml

    try:
        # the store is given explicitly; the scope is for what MLflow resolves through the
        # process-wide registry URI whatever the download is told: models:/ names and aliases,
        # and a run's model folder (runs:/<run>/generator is a logged model's)
        with tracking_store(tracking_uri):
            local = mlflow.artifacts.download_artifacts(
                model_uri, dst_path=tmp, tracking_uri=tracking_uri
            )
        local = Path(local)
        spec = yaml.safe_load((local / "MLmodel").read_text(encoding="utf-8")) or {}
    except (mlflow.exceptions.MlflowException, OSError, yaml.YAMLError) as err:
        raise ConfigError(f"cannot load model {model_uri!r}: {_first_line(err)}") from None
    return local, spec
