"""MLflow at the edge: the only module that imports mlflow.

Everything goes through an explicit `MlflowClient` and run ids (never the fluent, thread-local
active run), so tasks in worker threads log to the right run. The few fluent calls MLflow has no
client form for (``pyfunc.log_model``, ``search_runs``) set the tracking URI and run id explicitly.
The CLI imports this module only in the commands that track, so ``augment --help`` stays fast.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

import mlflow.pyfunc
import numpy as np
import pandas as pd
import yaml

from augment.environ import environ
from augment.exceptions import ConfigError, InvalidDataError

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
    with open(db.with_name(db.name + ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


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
        with _sqlite_store_lock(cfg.tracking_uri):  # the client creates / migrates the store
            self.client = MlflowClient(tracking_uri=cfg.tracking_uri)
            self.client.search_experiments(max_results=1)  # tracking tables
            self.client.search_registered_models(max_results=1)  # registry tables, same file

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

    def log_history(self, run_id: str, rows: list[dict[str, float]], prefix: str) -> None:
        """Per-epoch rows (with an ``epoch`` key) as metric steps, in batches of 1000."""
        import time

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
        """Log the fitted GAN file as a pyfunc model; register it if ``registered_model`` is set.

        Returns the model URI to load (``models:/...``).
        """
        from mlflow.models import ModelSignature, infer_signature
        from mlflow.types import ColSpec, ParamSchema, ParamSpec, Schema

        meta = {"class_names": list(class_names), "label": label}
        with tempfile.TemporaryDirectory() as tmp:
            meta_path = Path(tmp) / "generator_meta.json"
            meta_path.write_text(json.dumps(meta), encoding="utf-8")
            artifacts = {"generator": str(model_path), "meta": str(meta_path)}
            wrapper = GeneratorModel()
            wrapper.load_context(_Context(artifacts))
            example = pd.DataFrame({"class": [class_names[0]], "n": [2]})
            params = {"random_state": 0}
            out = wrapper.predict(None, example, params)
            signature = ModelSignature(
                inputs=Schema([ColSpec("string", "class"), ColSpec("long", "n")]),
                outputs=infer_signature(out).inputs,  # the samples' columns
                params=ParamSchema([ParamSpec("random_state", "long", 0)]),
            )
            mlflow.set_tracking_uri(self.cfg.tracking_uri)
            with mlflow.start_run(run_id=run_id, nested=True):  # resumes; status set by finish()
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
        if self.cfg.registered_model:
            version = mlflow.register_model(uri, self.cfg.registered_model).version
            self.client.set_registered_model_alias(
                self.cfg.registered_model, self.cfg.model_alias, version
            )
            self.client.set_tag(
                run_id, "registered_model", f"{self.cfg.registered_model}/{version}"
            )
        self.client.set_tag(run_id, "generator_uri", uri)
        return uri

    def comparison(self, last: int = 5) -> list[dict[str, Any]]:
        """The last ``last`` finished parent runs of the experiment with their arms' aggregates.

        Each item: ``{"run_id", "run_name", "dataset", "start_time", "arms": {arm: {metric:
        {"mean", "std", "ci95": [lo, hi]}}}}``, read back with ``mlflow.search_runs``.
        """
        mlflow.set_tracking_uri(self.cfg.tracking_uri)
        if self.client.get_experiment_by_name(self.cfg.experiment) is None:
            raise ConfigError(
                f"no MLflow experiment {self.cfg.experiment!r} at {self.cfg.tracking_uri}"
            )
        df = mlflow.search_runs(
            experiment_names=[self.cfg.experiment],
            order_by=["attributes.start_time DESC"],
            max_results=50_000,
        )
        if df.empty:
            return []
        parent_col = "tags.mlflow.parentRunId"
        if parent_col not in df:
            df[parent_col] = None
        is_parent = df[parent_col].isna() & (df["status"] == "FINISHED")
        if "tags.dataset" in df:
            is_parent &= df["tags.dataset"].notna()
        parents = df[is_parent].head(last)
        out = []
        for _, p in parents.iterrows():
            kids = df[df[parent_col] == p["run_id"]]
            arms: dict[str, dict[str, Any]] = {}
            for _, k in kids.sort_values("start_time").iterrows():
                arms[k["tags.arm"]] = _aggregates_from_row(k)
            out.append(
                {
                    "run_id": p["run_id"],
                    "run_name": p.get("tags.mlflow.runName"),
                    "dataset": p.get("tags.dataset"),
                    "start_time": p["start_time"],
                    "arms": arms,
                }
            )
        return out


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


def _dataset_source(name: str) -> Any:
    """Files and folders resolve to MLflow's local source; ``builtin:NAME`` to a code source."""
    from mlflow.data.code_dataset_source import CodeDatasetSource
    from mlflow.data.dataset_source_registry import resolve_dataset_source
    from mlflow.exceptions import MlflowException

    if Path(name).exists():
        try:
            return resolve_dataset_source(str(Path(name).resolve()))
        except MlflowException:
            pass
    return CodeDatasetSource({"augment.source": name})


def _aggregates_from_row(row: pd.Series) -> dict[str, Any]:
    """``metric -> {mean, std, ci95}`` from a child run's ``metrics.*`` columns."""
    from augment.evaluate import METRICS

    res = {}
    for m in METRICS:
        col = f"metrics.{m}"
        if col not in row or pd.isna(row[col]):
            continue
        res[m] = {
            "mean": float(row[col]),
            "std": float(row.get(f"metrics.{m}_std", float("nan"))),
            "ci95": [
                float(row.get(f"metrics.{m}_ci95_low", float("nan"))),
                float(row.get(f"metrics.{m}_ci95_high", float("nan"))),
            ],
        }
    return res


@dataclass
class _Context:
    """Stands in for MLflow's PythonModelContext when the wrapper is used before logging."""

    artifacts: dict[str, str]


class GeneratorModel(mlflow.pyfunc.PythonModel):
    """A fitted conditional GAN as an MLflow pyfunc model.

    Input: a DataFrame with ``class`` (a class name) and ``n`` (how many samples) per row.
    Output: a DataFrame, one row per sample, with ``class`` first, then the table's feature
    columns (tables) or the flattened pixels ``px0..`` in [0, 1] (images; the shape is in the
    model metadata). Param ``random_state`` (int) makes the draw reproducible.
    """

    def load_context(self, context: Any) -> None:
        from augment.gan.persist import load_model

        meta = json.loads(Path(context.artifacts["meta"]).read_text(encoding="utf-8"))
        self.class_names: list[str] = meta["class_names"]
        self.label: str = meta["label"]
        self.model = load_model(context.artifacts["generator"], device="cpu")
        self.kind = "table" if self.model.kind == "tabular" else "image"
        shape = getattr(self.model, "image_shape_", None)
        self.image_shape = list(shape) if shape is not None else None

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
            df.insert(0, "class", name)
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
    """Load a logged generator: a predictor and its metadata (kind, classes, image shape).

    Nothing in the model directory is executed or unpickled: the ``MLmodel`` file is read as
    YAML, the metadata as JSON and the weights with ``torch.load(..., weights_only=True)``;
    the sampling code is this installed package's, whatever code or pickle the directory holds.
    """
    from mlflow.tracking.artifact_utils import _download_artifact_from_uri

    mlflow.set_tracking_uri(tracking.tracking_uri)
    try:
        local = Path(_download_artifact_from_uri(model_uri))
        spec = yaml.safe_load((local / "MLmodel").read_text(encoding="utf-8")) or {}
    except (mlflow.exceptions.MlflowException, OSError, yaml.YAMLError) as err:
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise ConfigError(f"cannot load model {model_uri!r}: {first}") from None
    meta = dict(spec.get("metadata") or {}) if isinstance(spec, dict) else {}
    if "class_names" not in meta:
        raise ConfigError(f"{model_uri!r} is not an augment generator (no class_names metadata)")
    flavor = (spec.get("flavors") or {}).get("python_function") or {}
    paths = {}
    for name in ("generator", "meta"):
        entry = (flavor.get("artifacts") or {}).get(name) or {}
        rel = entry.get("path") if isinstance(entry, dict) else None
        target = (local / str(rel)).resolve() if rel else None
        if target is None or local.resolve() not in target.parents or not target.is_file():
            raise ConfigError(f"{model_uri!r}: the generator's {name!r} file is missing")
        paths[name] = str(target)
    model = GeneratorModel()
    try:
        model.load_context(_Context(paths))
    except (ValueError, KeyError, TypeError) as err:  # InvalidDataError is a ValueError
        raise ConfigError(f"cannot load model {model_uri!r}: {err}") from None
    return _LoadedGenerator(model), meta


def log_suite(
    cfg: TrackingConfig,
    result: dict[str, Any],
    table_md: str,
    plot_path: Path | None = None,
) -> str:
    """Log a benchmark-suite result (`augment.suite.SuiteResult.to_dict()`) to ``cfg.experiment``.

    A summary run (mean ranks, Friedman, CD, win/tie/loss counts; the table as markdown and
    JSON, and the CD plot as artifacts) and, as its children, one run per table: params (table,
    rows, features, nominal, classes, folds, repeats, gan seeds), per classifier/arm metrics
    ``{clf}/{arm}/mean|ci95_low|ci95_high|resample_s|resample_cpu_s|fit_s`` and the per-fold
    balanced accuracy as the steps of ``{clf}/{arm}/fold``. Returns the summary run id.
    """
    tracker = Tracker(cfg)
    conf = result["config"]
    summary = result["summary"]
    params = {k: conf[k] for k in ("folds", "repeats", "gan_seeds", "seed", "n_jobs")}
    params.update(arms=",".join(conf["arms"]), classifiers=",".join(conf["classifiers"]))
    parent = tracker.start_parent("suite", params, {"kind": "suite"})
    metrics = {f"rank/{a}": r for a, r in summary["ranks"].items()}
    for arm, c in summary["counts"].items():
        metrics.update({f"{arm}/{k}": v for k, v in c.items()})
    if summary["friedman"]:
        metrics.update({f"friedman/{k}": v for k, v in summary["friedman"].items()})
        metrics["nemenyi_cd"] = summary["cd"]
    metrics.update(wall_s=result["timing"]["wall_s"], cpu_s=result["timing"]["cpu_s"])
    tracker.log_metrics(parent, {k: v for k, v in metrics.items() if np.isfinite(v)})
    by_table: dict[str, list[dict[str, Any]]] = {}
    for row in summary["rows"]:
        by_table.setdefault(row["table"], []).append(row)
    for info in result["tables"]:
        run = tracker.client.create_run(
            tracker.experiment_id(),
            run_name=info["table"],
            tags={"mlflow.parentRunId": parent, "kind": "suite-table", **cfg.tags},
        )
        rid = run.info.run_id
        from mlflow.entities import Param

        table_params = {
            **{k: info[k] for k in ("table", "rows", "features", "nominal", "classes")},
            **{k: conf[k] for k in ("folds", "repeats", "gan_seeds")},
        }
        if "removed" in info:
            table_params["removed_rows"] = info["removed"]["n_removed"]
        tracker.client.log_batch(rid, params=[Param(k, str(v)) for k, v in table_params.items()])
        for row in by_table.get(info["table"], []):
            clf = row["classifier"]
            final: dict[str, float] = {}
            for arm, v in row["arms"].items():
                p = f"{clf}/{arm}"
                final.update(
                    {
                        f"{p}/mean": v["mean"],
                        f"{p}/ci95_low": v["ci95"][0],
                        f"{p}/ci95_high": v["ci95"][1],
                        f"{p}/resample_s": v["resample_s"],
                        f"{p}/resample_cpu_s": v.get("resample_cpu_s", float("nan")),
                        f"{p}/fit_s": v["fit_s"],
                    }
                )
                tracker.log_history(
                    rid, [{"epoch": i, "fold": x} for i, x in enumerate(v["values"])], f"{p}/"
                )
            for arm, c in row["vs_best"].items():
                final.update({f"{clf}/{arm}/diff_vs_best": c["diff"], f"{clf}/{arm}/p": c["p"]})
            tracker.log_metrics(rid, {k: v for k, v in final.items() if np.isfinite(v)})
        tracker.finish(rid)
    with tempfile.TemporaryDirectory() as tmp:
        md = Path(tmp) / "suite.md"
        md.write_text(table_md, encoding="utf-8")
        tracker.log_artifact(parent, md)
    tracker.log_json(parent, result, "suite.json")
    if plot_path is not None:
        tracker.log_artifact(parent, Path(plot_path))
    tracker.finish(parent)
    return parent
