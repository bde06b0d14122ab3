"""The fitted generator as an MLflow pyfunc model: logged from code (no pickle), loaded back
without running anything from the model directory.

The weights file's SHA-256 is recorded in the model's metadata (``MLmodel``) and in its
``generator_meta.json``; loading verifies it before reading the weights (`IntegrityError` naming
the file on a mismatch) and checks the metadata's types and shapes before anything uses them.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import mlflow
import mlflow.pyfunc
import pandas as pd

from augment.exceptions import ConfigError, InvalidDataError
from augment.tracking.config import TrackingConfig
from augment.tracking.fluent import tracking_store
from augment.tracking.model_files import (
    ArtifactContext,
    file_sha256,
    load_model_files,
    verify_file,
)
from augment.tracking.quiet import quiet_mlflow, register_model

KINDS = ("table", "image")  # the model metadata's ``kind``
LABEL_DTYPES = ("int64", "str")  # the model metadata's ``label_dtype`` (absent: logged before it)
META_KEYS = ("class_names", "label", "kind", "image_shape")  # checked in every model's MLmodel


def label_dtype(class_names: list[str]) -> str:
    """``"int64"`` when every class name is an integer's own text (a table's integer label
    column: `augment.data.dataset.encode_labels` names its classes so), else ``"str"``."""

    def is_int(name: str) -> bool:
        try:
            return str(int(name)) == name
        except ValueError:
            return False

    return "int64" if all(is_int(c) for c in class_names) else "str"


def log_generator(
    tracker, run_id: str, model_path: str | Path, class_names: list[str], label: str
) -> str:
    """Log the fitted GAN file as a pyfunc model; register it if ``registered_model`` is set.

    Returns the model URI to load (``models:/...``).
    """
    from mlflow.models import ModelSignature, infer_signature
    from mlflow.types import ColSpec, ParamSchema, ParamSpec, Schema

    meta = {
        "class_names": list(class_names),
        "label": label,
        "label_dtype": label_dtype(list(class_names)),
        "sha256": file_sha256(model_path),
    }
    with tempfile.TemporaryDirectory() as tmp:
        meta_path = Path(tmp) / "generator_meta.json"
        meta_path.write_text(json.dumps(meta), encoding="utf-8")
        artifacts = {"generator": str(model_path), "meta": str(meta_path)}
        wrapper = GeneratorModel()
        wrapper.load_context(ArtifactContext(artifacts))
        example = pd.DataFrame({"class": [wrapper.class_names[0]], "n": [2]})
        params = {"random_state": 0}
        out = wrapper.predict(None, example, params)
        signature = ModelSignature(
            inputs=Schema([ColSpec("string", "class"), ColSpec("long", "n")]),
            outputs=infer_signature(out).inputs,  # the samples' columns
            params=ParamSchema([ParamSpec("random_state", "long", 0)]),
        )
        with (
            tracking_store(tracker.cfg.tracking_uri),
            quiet_mlflow(),
            mlflow.start_run(run_id=run_id, nested=True),  # its status: Tracker.finish()
        ):
            info = mlflow.pyfunc.log_model(
                name="generator",
                # models from code: the pyfunc is this source file, not a cloudpickle
                python_model=str(Path(__file__).with_name("generator_model.py")),
                artifacts=artifacts,
                signature=signature,
                input_example=example,
                # listed, not inferred: inference re-imports the model in a subprocess (slow)
                pip_requirements=_generator_requirements(),
                metadata={"kind": wrapper.kind, "image_shape": wrapper.image_shape, **meta},
            )
    uri = info.model_uri
    if tracker.cfg.registered_model:
        with tracking_store(tracker.cfg.tracking_uri):
            version = register_model(uri, tracker.cfg.registered_model).version
        tracker.client.set_registered_model_alias(
            tracker.cfg.registered_model, tracker.cfg.model_alias, version
        )
        tracker.client.set_tag(
            run_id, "registered_model", f"{tracker.cfg.registered_model}/{version}"
        )
    tracker.client.set_tag(run_id, "generator_uri", uri)
    return uri


def _generator_requirements() -> list[str]:
    """What loading the generator needs besides ``augment`` itself (install it from source)."""
    from importlib.metadata import PackageNotFoundError, version

    reqs = []
    for pkg in ("mlflow", "torch", "numpy", "pandas", "scikit-learn", "pyyaml"):
        try:
            reqs.append(f"{pkg}=={version(pkg)}")
        except PackageNotFoundError:
            reqs.append(pkg)
    return reqs


def check_meta(meta: Any, where: str, keys: tuple[str, ...]) -> dict[str, Any]:
    """``meta`` with its ``keys`` checked against the generator metadata's schema; a
    `ConfigError` naming ``where`` and the first bad key otherwise.

    ``class_names``: a non-empty list of unique non-empty strings (any characters: they are
    labels, never paths); ``label``: a non-empty string; ``kind``: one of `KINDS`;
    ``image_shape``: 3 positive ints for images, null for tables; ``label_dtype`` (checked
    whenever present: models logged before it have none): one of `LABEL_DTYPES`.
    """
    if not isinstance(meta, dict):
        raise ConfigError(f"{where}: the metadata is not a mapping ({type(meta).__name__})")

    def bad(key: str, allowed: str) -> ConfigError:
        return ConfigError(
            f"{where}: metadata {key!r} must be {allowed}, got {meta.get(key)!r:.120}"
        )

    names = meta.get("class_names")
    if "class_names" in keys and not (
        isinstance(names, list)
        and names
        and all(isinstance(c, str) and c for c in names)
        and len(set(names)) == len(names)
    ):
        raise bad("class_names", "a non-empty list of unique non-empty strings")
    label = meta.get("label")
    if "label" in keys and not (isinstance(label, str) and label):
        raise bad("label", "a non-empty string")
    kind = meta.get("kind")
    if "kind" in keys and kind not in KINDS:
        raise bad("kind", f"one of {list(KINDS)}")
    if "label_dtype" in meta and meta["label_dtype"] not in LABEL_DTYPES:
        raise bad("label_dtype", f"one of {list(LABEL_DTYPES)}")
    shape = meta.get("image_shape")
    if "image_shape" in keys:
        if kind == "image" and not (
            isinstance(shape, list)
            and len(shape) == 3
            and all(isinstance(d, int) and not isinstance(d, bool) and d > 0 for d in shape)
        ):
            raise bad("image_shape", "a list of 3 positive ints (channels, height, width)")
        if kind == "table" and shape is not None:
            raise bad("image_shape", "null for a table generator")
    return meta


def class_column(label: str, features: list[str]) -> str:
    """The output's class column: the table's own label column, unless a feature has that name;
    then ``class``, prefixed with ``_`` until no feature has it."""
    if label not in features:
        return label
    name = "class"
    while name in features:
        name = f"_{name}"
    return name


class GeneratorModel(mlflow.pyfunc.PythonModel):
    """A fitted conditional GAN as an MLflow pyfunc model.

    Input: a DataFrame with ``class`` (a class name) and ``n`` (how many samples) per row.
    Output: a DataFrame, one row per sample, with the class first, then the table's feature
    columns (tables) or the flattened pixels ``px0..`` in [0, 1] (images; the shape is in the
    model metadata). The class column is ``class_column``: for tables the table's own label
    column (a feature of that name keeps it; the class column then takes another name, see
    `class_column`), for images ``class``. Param ``random_state`` (int) makes the draw
    reproducible.
    """

    def load_context(self, context: Any) -> None:
        from augment.gan.persist import load_model

        meta_path = context.artifacts["meta"]
        weights = context.artifacts["generator"]
        meta = check_meta(
            json.loads(Path(meta_path).read_text(encoding="utf-8")),
            str(meta_path),
            ("class_names", "label"),
        )
        verify_file(weights, meta.get("sha256"), str(meta_path))
        self.class_names: list[str] = meta["class_names"]
        self.label: str = meta["label"]
        self.model = load_model(weights, device="cpu")
        k = len(self.model.classes_)
        if len(self.class_names) != k:
            raise InvalidDataError(
                f"{meta_path}: metadata 'class_names' lists {len(self.class_names)} classes,"
                f" the generator {weights} has {k}"
            )
        self.kind = "table" if self.model.kind == "tabular" else "image"
        shape = getattr(self.model, "image_shape_", None)
        self.image_shape = list(shape) if shape is not None else None
        if self.kind == "table":
            self.class_column = class_column(self.label, list(self.model.transformer_.columns_))
        else:
            self.class_column = "class"

    def predict(self, context: Any, model_input: pd.DataFrame, params: dict | None = None):
        missing = {"class", "n"} - set(model_input.columns)
        if missing:
            raise InvalidDataError(f"generator input needs columns 'class' and 'n'; {missing=}")
        seed = int((params or {}).get("random_state", 0))
        frames = []
        for i, (name, n) in enumerate(zip(model_input["class"], model_input["n"], strict=True)):
            name, n = str(name), int(n)
            if name not in self.class_names:
                raise InvalidDataError(f"unknown class {name!r}; allowed: {self.class_names}")
            if n < 0:
                raise InvalidDataError(f"n must be >= 0 for class {name!r}, got {n}")
            x = self.model.sample(n, self.class_names.index(name), random_state=seed * 1000 + i)
            if self.kind == "table":
                df = x.reset_index(drop=True)
            else:
                flat = x.reshape(n, -1)
                df = pd.DataFrame(flat, columns=[f"px{j}" for j in range(flat.shape[1])])
            df.insert(0, self.class_column, name)
            frames.append(df)
        return pd.concat(frames, ignore_index=True)


def set_generator_model() -> None:
    """Called by ``generator_model.py`` when MLflow loads the logged model from code."""
    import mlflow.models

    mlflow.models.set_model(GeneratorModel())


class _LoadedGenerator:
    """``predict(request, params)`` over a `GeneratorModel` built from a model's plain files."""

    def __init__(self, model: GeneratorModel) -> None:
        self.model = model

    def predict(self, model_input: pd.DataFrame, params: dict | None = None) -> pd.DataFrame:
        return self.model.predict(None, model_input, params)


def load_generator(model_uri: str, tracking: TrackingConfig) -> tuple[Any, dict[str, Any]]:
    """Load a logged generator: a predictor and its metadata (kind, classes, image shape, and
    ``class_column``, the output's class column).

    Nothing in the model directory is executed or unpickled: the ``MLmodel`` file is read as
    YAML, the metadata as JSON and the weights with ``torch.load(..., weights_only=True)``;
    the sampling code is this installed package's, whatever code or pickle the directory holds.
    The metadata is checked against its schema before use (`ConfigError` naming the model and
    the key) and the weights file against its recorded SHA-256 (`IntegrityError` naming it);
    see `augment.tracking.model_files.load_model_files`.
    """
    model, meta = load_model_files(
        model_uri,
        tracking.tracking_uri,
        weights="generator",
        marker="class_names",
        not_ours="is not an augment generator (no class_names metadata)",
        check=lambda meta, where: check_meta(meta, where, META_KEYS),
        model_cls=GeneratorModel,
        errors=(ValueError, KeyError, TypeError),  # InvalidDataError is a ValueError
    )
    loaded = {
        "class_names": model.class_names,
        "label": model.label,
        "kind": model.kind,
        "image_shape": model.image_shape,
    }
    for key, value in loaded.items():  # the MLmodel's copy and the weights' own must agree
        if meta.get(key) != value:
            raise ConfigError(
                f"model {model_uri!r}: metadata {key!r} is {meta.get(key)!r:.120} but the"
                f" generator's files say {value!r:.120}"
            )
    return _LoadedGenerator(model), {**meta, "class_column": model.class_column}
