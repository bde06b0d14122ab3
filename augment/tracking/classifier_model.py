"""The retrained downstream classifier as an MLflow pyfunc model: logged from code (no pickle),
served by ``mlflow models serve`` and loaded back by ``augment predict`` without running
anything from the model directory.

The classifier's own file is plain data: a scikit-learn pipeline (preprocessing included) in
skops format, loaded with the fixed list of trusted types `TRUSTED_SKOPS_TYPES` declared here
(never the list a model directory carries), or the CNN's weights-only ``state_dict``. Its SHA-256
is recorded in the model's metadata and in ``classifier_meta.json`` and verified before the file
is read (`IntegrityError` naming it), as for the generator (`augment.tracking.model`).

Input: a table's own feature columns (extra columns, e.g. the label, are ignored), or images as
the flattened pixels ``px0..`` in [0, 1] of ``(C, H, W)`` (the layout `GeneratorModel` writes).
Output: the predicted class names, one per row.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import mlflow
import mlflow.pyfunc
import numpy as np
import pandas as pd

from augment.exceptions import ConfigError, InvalidDataError
from augment.tracking.config import TrackingConfig
from augment.tracking.fluent import tracking_store
from augment.tracking.model import META_KEYS, _generator_requirements, check_meta
from augment.tracking.model_files import (
    ArtifactContext,
    file_sha256,
    load_model_files,
    verify_file,
)
from augment.tracking.quiet import quiet_mlflow, register_model

# the only non-builtin types skops may build when loading a classifier, besides numpy and the
# scikit-learn estimators skops trusts by default: the trees of a random forest and of gradient
# boosting, and what the threshold arm's tuned classifier holds (its class, its seeded k-fold,
# its balanced-accuracy scorer; plain data and a scikit-learn metric, no code from the file)
TRUSTED_SKOPS_TYPES = (
    "sklearn.tree._tree.Tree",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "augment.arms.threshold.TunedThresholdOrPlain",
    "sklearn.model_selection._split.StratifiedKFold",
    "sklearn.metrics._classification.balanced_accuracy_score",
    "sklearn.metrics._scorer._CurveScorer",
    "sklearn.metrics._scorer._Scorer",
    "sklearn.utils._metadata_requests.MetadataRequest",
    "sklearn.utils._metadata_requests.MethodMetadataRequest",
)
FORMATS = ("skops", "torch")  # the weights file's format, in the metadata's ``format``
WEIGHTS = {"skops": "classifier.skops", "torch": "classifier.pt"}


def save_classifier(clf: Any, folder: Path) -> tuple[Path, dict[str, Any]]:
    """Write ``clf`` as plain data into ``folder``: its file and the metadata that rebuilds it."""
    from augment.cnn import CNNClassifier

    if isinstance(clf, CNNClassifier):
        import torch

        path = folder / WEIGHTS["torch"]
        state = {k: v.detach().cpu() for k, v in clf.net_.state_dict().items()}
        torch.save(state, path)
        net = {"width": int(clf.width), "image_shape": [int(d) for d in clf.image_shape]}
        return path, {"format": "torch", "cnn": net, "codes": _codes(clf.classes_)}
    import skops.io

    path = folder / WEIGHTS["skops"]
    skops.io.dump(clf, path)
    untrusted = set(skops.io.get_untrusted_types(file=path)) - set(TRUSTED_SKOPS_TYPES)
    if untrusted:  # a classifier we added without declaring its types: say which
        raise ConfigError(
            f"the classifier holds types skops does not trust: {sorted(untrusted)}; declare"
            " them in augment.tracking.classifier_model.TRUSTED_SKOPS_TYPES after review"
        )
    return path, {"format": "skops", "codes": _codes(clf.classes_)}


def _codes(classes: Any) -> list[int]:
    return [int(c) for c in np.asarray(classes)]


def _signature(example: pd.DataFrame, output: pd.Series) -> Any:
    """Column types as the run's data holds them; the output is one class name per row."""
    from mlflow.models import ModelSignature
    from mlflow.types import ColSpec, Schema

    def kind(s: pd.Series) -> str:
        if pd.api.types.is_bool_dtype(s):
            return "boolean"
        if pd.api.types.is_integer_dtype(s):
            return "long"
        if pd.api.types.is_float_dtype(s):
            return "double"
        return "string"

    inputs = Schema([ColSpec(kind(example[c]), str(c)) for c in example.columns])
    return ModelSignature(inputs=inputs, outputs=Schema([ColSpec("string", output.name)]))


def log_classifier(
    tracker: Any,
    run_id: str,
    clf: Any,
    train: Any,
    name: str,
    tags: dict[str, str],
    register: bool = False,
) -> str:
    """Log the fitted classifier ``clf`` (trained on ``train``'s schema) as the pyfunc model
    ``name`` of run ``run_id`` with ``tags``; register it under the tracking config's
    `~TrackingConfig.classifier_name` and alias when ``register``. Returns the model URI.
    """
    if train.kind == "table":
        example = train.X.head(2).reset_index(drop=True)
        columns = [str(c) for c in train.X.columns]
    else:
        flat = train.features_2d()[:2].astype(np.float64)  # what JSON carries
        example = pd.DataFrame(flat, columns=[f"px{j}" for j in range(flat.shape[1])])
        columns = None
    with tempfile.TemporaryDirectory() as tmp:
        path, saved = save_classifier(clf, Path(tmp))
        meta = {
            "kind": train.kind,
            "class_names": list(train.class_names),
            "label": train.label,
            "columns": columns,
            "image_shape": list(train.image_shape) if train.kind == "image" else None,
            **saved,
            "sha256": file_sha256(path),
        }
        meta_path = Path(tmp) / "classifier_meta.json"
        meta_path.write_text(json.dumps(meta), encoding="utf-8")
        artifacts = {"classifier": str(path), "meta": str(meta_path)}
        wrapper = ClassifierModel()
        wrapper.load_context(ArtifactContext(artifacts))
        output = wrapper.predict(None, example)
        with (
            tracking_store(tracker.cfg.tracking_uri),
            quiet_mlflow(),
            mlflow.start_run(run_id=run_id, nested=True),  # its status: Tracker.finish()
        ):
            info = mlflow.pyfunc.log_model(
                name=name,
                # models from code: the pyfunc is this package's source, not a cloudpickle
                python_model=str(Path(__file__).with_name("classifier_entry.py")),
                artifacts=artifacts,
                signature=_signature(example, output),
                input_example=example,
                pip_requirements=[*_generator_requirements(), _pinned("skops")],
                metadata=meta,
                tags=tags,
            )
    uri = info.model_uri
    registered = tracker.cfg.classifier_name
    if register and registered:
        with tracking_store(tracker.cfg.tracking_uri):
            version = register_model(uri, registered, tags=tags).version
        tracker.client.set_registered_model_alias(registered, tracker.cfg.classifier_alias, version)
        tracker.client.set_tag(run_id, "registered_classifier", f"{registered}/{version}")
    return uri


def _pinned(pkg: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"{pkg}=={version(pkg)}"
    except PackageNotFoundError:
        return pkg


def _check(meta: Any, where: str) -> dict[str, Any]:
    """``meta`` checked against the classifier metadata's schema (`ConfigError` naming the
    first bad key): the generator's keys, plus ``format``, the class ``codes`` and, for tables,
    the feature ``columns``."""
    check_meta(meta, where, META_KEYS)
    k = len(meta["class_names"])

    def bad(key: str, allowed: str) -> ConfigError:
        return ConfigError(
            f"{where}: metadata {key!r} must be {allowed}, got {meta.get(key)!r:.120}"
        )

    if meta.get("format") not in FORMATS:
        raise bad("format", f"one of {list(FORMATS)}")
    codes = meta.get("codes")
    if not (
        isinstance(codes, list)
        and codes
        and all(isinstance(c, int) and not isinstance(c, bool) and 0 <= c < k for c in codes)
    ):
        raise bad("codes", f"a non-empty list of class codes 0..{k - 1}")
    columns = meta.get("columns")
    if meta["kind"] == "table" and not (
        isinstance(columns, list) and columns and all(isinstance(c, str) for c in columns)
    ):
        raise bad("columns", "a non-empty list of column names")
    if meta["format"] == "torch":
        net = meta.get("cnn")
        width = net.get("width") if isinstance(net, dict) else None
        if meta["kind"] != "image" or not (isinstance(width, int) and 0 < width <= 1024):
            raise bad("cnn", "the CNN's width (1-1024) on an image classifier")
    return meta


def _small_cnn() -> Any:
    """The CNN's module class (its home moves to `augment.gan.features`)."""
    try:
        from augment.gan.features import SmallCNN
    except ImportError:  # before that move
        from augment.cnn import SmallCNN
    return SmallCNN


def _load_cnn(path: str, meta: dict[str, Any]) -> Any:
    """A `CNNClassifier` on CPU with the weights-only ``state_dict`` at ``path``."""
    import torch

    from augment.cnn import CNNClassifier

    c, h, w = meta["image_shape"]
    width, k = meta["cnn"]["width"], len(meta["codes"])
    net = _small_cnn()(c, k, width, min(h, w))
    state = torch.load(path, map_location="cpu", weights_only=True)
    net.load_state_dict(state)
    clf = CNNClassifier(image_shape=(c, h, w), width=width, device="cpu")
    clf.classes_ = np.asarray(meta["codes"], dtype=np.int64)
    clf.device_ = torch.device("cpu")
    clf.net_ = net.eval()
    return clf


class ClassifierModel(mlflow.pyfunc.PythonModel):
    """A run's retrained downstream classifier as an MLflow pyfunc model.

    Input: a DataFrame with the table's feature columns (others are ignored), or the flattened
    pixels ``px0..`` in [0, 1] of an image (its shape is in the model metadata).
    Output: a Series of class names named after the label column (``class`` for images).
    """

    def load_context(self, context: Any) -> None:
        meta_path = context.artifacts["meta"]
        weights = context.artifacts["classifier"]
        meta = _check(json.loads(Path(meta_path).read_text(encoding="utf-8")), str(meta_path))
        verify_file(weights, meta.get("sha256"), str(meta_path))
        self.meta = meta
        if meta["format"] == "torch":
            self.model = _load_cnn(weights, meta)
        else:
            import skops.io

            # our trusted list, never one read from the model directory
            self.model = skops.io.load(weights, trusted=list(TRUSTED_SKOPS_TYPES))
        codes = _codes(self.model.classes_)
        if codes != meta["codes"]:
            raise ConfigError(
                f"{meta_path}: metadata 'codes' {meta['codes']} but the classifier {weights}"
                f" has classes {codes}"
            )

    def features(self, model_input: pd.DataFrame) -> Any:
        """What the classifier was trained on: the table's columns in the run's order, or the
        pixels as float32 ``(N, C*H*W)``."""
        if not isinstance(model_input, pd.DataFrame):
            model_input = pd.DataFrame(model_input)
        meta = self.meta
        if meta["kind"] == "image":
            n = int(np.prod(meta["image_shape"]))
            cols = [f"px{j}" for j in range(n)]
            missing = [c for c in cols if c not in model_input.columns]
            if missing:
                raise InvalidDataError(
                    f"image input needs the {n} pixel columns px0..px{n - 1}"
                    f" ({'x'.join(map(str, meta['image_shape']))}); missing {missing[:5]}"
                )
            return model_input[cols].to_numpy(dtype=np.float32)  # as the run's features
        missing = [c for c in meta["columns"] if c not in model_input.columns]
        if missing:
            raise InvalidDataError(
                f"input lacks the feature column(s) {missing[:10]}; the classifier needs"
                f" {meta['columns'][:20]}"
            )
        X = model_input[meta["columns"]].reset_index(drop=True)
        holes = [c for c in X.columns if X[c].isna().any()]
        if holes:
            raise InvalidDataError(
                f"column(s) {holes[:10]} have missing values; fill them (the classifier was"
                " trained on complete rows)"
            )
        return X

    def predict(self, context: Any, model_input: pd.DataFrame, params: dict | None = None):
        codes = np.asarray(self.model.predict(self.features(model_input)), dtype=np.int64)
        names = np.asarray(self.meta["class_names"], dtype=object)
        out = "class" if self.meta["kind"] == "image" else self.meta["label"]
        return pd.Series(names[codes], name=out, dtype=object)


def set_classifier_model() -> None:
    """Called by ``classifier_entry.py`` when MLflow loads the logged model from code."""
    import mlflow.models

    mlflow.models.set_model(ClassifierModel())


class _LoadedClassifier:
    """``predict(rows)`` over a `ClassifierModel` built from a model's plain files."""

    def __init__(self, model: ClassifierModel) -> None:
        self.model = model

    def predict(self, model_input: pd.DataFrame, params: dict | None = None) -> pd.Series:
        return self.model.predict(None, model_input, params)


def load_classifier(model_uri: str, tracking: TrackingConfig) -> tuple[Any, dict[str, Any]]:
    """Load a logged classifier: a predictor and its metadata (kind, classes, columns, image
    shape).

    Nothing in the model directory is executed or unpickled: ``MLmodel`` is read as YAML, the
    metadata as JSON and the classifier with skops (our trusted types only) or
    ``torch.load(..., weights_only=True)``, after its SHA-256 is checked (`IntegrityError`);
    see `augment.tracking.model_files.load_model_files`.
    """
    model, meta = load_model_files(
        model_uri,
        tracking.tracking_uri,
        weights="classifier",
        marker="codes",
        not_ours=(
            "is not an augment classifier (no classifier metadata); a generator is used with"
            " `augment generate`"
        ),
        check=_check,
        model_cls=ClassifierModel,
        errors=(Exception,),  # skops' untrusted types, a state_dict of another shape
    )
    if model.meta != meta:  # the MLmodel's copy and the model's own file must agree
        raise ConfigError(
            f"model {model_uri!r}: the MLmodel metadata and classifier_meta.json differ"
        )
    return _LoadedClassifier(model), meta
