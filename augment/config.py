"""Typed run configuration, loaded from YAML or built from CLI flags.

Every field is validated in one place (pydantic); unknown keys are errors, so a typo in a
config file is reported instead of silently ignored.
"""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path
from typing import Any, Literal, get_type_hints

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    create_model,
    field_validator,
    model_validator,
)

from augment.exceptions import ConfigError
from augment.gan_settings import ImageGANConfig, TabularGANConfig

# "auto": the small CNN for images, random_forest for tables
CLASSIFIERS = ("random_forest", "logistic_regression", "hist_gradient_boosting", "cnn", "auto")

# ranges of the numeric keys: seeds are what numpy's legacy seeding and scikit-learn's
# random_state take; the caps are far above any useful value, low enough that a typo cannot
# hang a run for days or overflow a size
SEED = {"ge": 0, "le": 2**32 - 1}
SEED_MAX = SEED["le"]
MAX_EPOCHS = 100_000
MAX_STEPS = 100_000  # every-N-epochs and patience keys
MAX_SEEDS = 1_000  # classifier seeds per arm
MAX_GAN_SEEDS = 100  # generators (GAN fits) per run
MAX_BATCH = 65_536
MAX_WIDTH = 16_384  # layer widths and noise dimensions
MAX_WORKERS = 1_024
MAX_CLASS_ROWS = 1_000_000  # data.min_class_rows
# a YAML config: its size, and its values once aliases are expanded (a billion laughs is a few
# hundred bytes); a real config has a few hundred values
MAX_CONFIG_BYTES = 1_000_000
MAX_YAML_NODES = 100_000


def _default_arms() -> list[str]:
    from augment.arms import default_names  # the arm registry (augment/arms/)

    return default_names()


class _Strict(BaseModel):
    # floats are finite: nan / inf pass no range check and reach the models otherwise; a field
    # whose Python name differs from its YAML key (``alias``) is read and dumped by the key only
    model_config = ConfigDict(
        extra="forbid", frozen=True, allow_inf_nan=False, serialize_by_alias=True
    )


class DataConfig(_Strict):
    source: str = "builtin:digits"  # path (CSV, Parquet, image folder) or builtin:NAME
    label: str | None = None  # label column for tables (builtins know their own)
    test_size: float = Field(0.3, gt=0.0, lt=1.0)  # share of rows held out, real only
    split_seed: int = Field(0, **SEED)  # seed of the stratified train/test split
    # induced imbalance for demos: these classes keep `imbalance_fraction` of their train rows
    # (class names; integer labels may be written unquoted: [1, 2] is ["1", "2"])
    imbalance_classes: list[str] | None = None
    imbalance_fraction: float = Field(0.1, gt=0.0, le=1.0)
    # NaN / inf features: "error" (default), "drop" the rows, or "impute" (median for numbers,
    # most frequent value otherwise; statistics from the train split only)
    missing: Literal["error", "drop", "impute"] = "error"
    # classes with fewer rows than this are dropped before the split (said on stderr, listed in
    # the summary's dropped_classes); 0: none dropped, a class too small to split is an error
    min_class_rows: int = Field(0, ge=0, le=MAX_CLASS_ROWS)
    # numeric columns to treat as categories (one-hot in the GAN, the classifiers, SMOTE-NC),
    # besides text and booleans; None: a file's integer columns of <= 10 distinct values under
    # 5% of the rows (said on stderr); []: every number stays continuous
    discrete: list[str] | None = None

    @field_validator("imbalance_classes", mode="before")
    @classmethod
    def _labels_as_written(cls, value: Any) -> Any:
        """Integer labels written unquoted in YAML (``[1, 2]``) are the classes ``"1"``, ``"2"``
        (a class is the text of its label); anything else but text is refused, saying how."""
        if not isinstance(value, list):
            return value
        out = []
        for v in value:
            if isinstance(v, int) and not isinstance(v, bool):
                v = str(v)
            elif not isinstance(v, str):
                raise ValueError(
                    f"class {v!r} ({type(v).__name__}) is not a class name; write it as"
                    f" '{v}' (quoted), the label as it is written in the data"
                )
            out.append(v)
        return out


# the fields a run config sets for either GAN model; everything else is a model knob and lives
# in the section of its model (gan.tabular / gan.image), with the model's own default
_COMMON_GAN = {
    "epochs", "batch_size", "noise_dim", "lr_g", "lr_d", "ema_decay", "device", "eval_every",
    "patience",
}  # fmt: skip
# value checks of the model knobs (the defaults come from augment.gan_settings)
# (every int and float knob needs both bounds: tests/test_limits.py)
_LIMITS: dict[str, dict[str, float]] = {
    "hidden": {"ge": 1, "le": MAX_WIDTH},
    "critic_hidden": {"ge": 1, "le": MAX_WIDTH},
    "critic_dropout": {"ge": 0.0, "lt": 1.0},
    "tau": {"gt": 0.0, "le": 100.0},  # Gumbel-softmax temperature (0.2 by default)
    "pac": {"ge": 1, "le": 1_024},
    "gp_every": {"ge": 1, "le": 1_000},
    "num_threads": {"ge": 1, "le": MAX_WORKERS},
    "val_fraction": {"gt": 0.0, "lt": 1.0},
    "aux_weight": {"ge": 0.0, "le": 1_000.0},
    "channels": {"ge": 1, "le": 4_096},
    "translate": {"ge": 0.0, "lt": 1.0},
    "cutout": {"ge": 0.0, "lt": 1.0},
    "collapse_threshold": {"ge": 0.0, "le": 1.0},
    "fid_steps": {"ge": 1, "le": 1_000_000},
    "step_budget": {"gt": 0.0, "le": 1_000_000.0},
}


def _section(name: str, settings: type, doc: str) -> type[_Strict]:
    """A strict config section with one field per model knob of ``settings`` (a dataclass):
    same names, types and defaults, so the defaults are declared once, in the model's settings."""
    hints = get_type_hints(settings)
    spec = {
        f.name: (hints[f.name], Field(f.default, **_LIMITS.get(f.name, {})))
        for f in fields(settings)
        if f.name not in _COMMON_GAN
    }
    return create_model(name, __base__=_Strict, __doc__=doc, **spec)


TabularSection = _section(
    "TabularSection", TabularGANConfig, "gan.tabular: knobs of the tabular GAN (tables only)."
)
ImageSection = _section(
    "ImageSection", ImageGANConfig, "gan.image: knobs of the image GAN (images only)."
)


class GANConfig(_Strict):
    epochs: int = Field(200, ge=1, le=MAX_EPOCHS)  # passes over the train split
    # None: the model's default (32 images, 64 tables)
    batch_size: int | None = Field(None, ge=2, le=MAX_BATCH)
    noise_dim: int = Field(64, ge=1, le=MAX_WIDTH)
    lr_g: float | None = Field(None, gt=0, le=1.0)  # None: the model's default
    lr_d: float | None = Field(None, gt=0, le=1.0)  # images use a faster D (two time-scale rule)
    ema_decay: float = Field(0.999, ge=0.0, lt=1.0)  # EMA of generator weights for sampling
    seed: int = Field(0, **SEED)  # the GAN seed of the first generator
    # YAML gan.seeds: generators fitted per run, GAN seeds seed, seed + 1, ...; classifier seed
    # s of a GAN arm uses generator s mod K, so the CIs include generator variance.
    # None: `RunConfig.n_generators` decides (min(2, seeds))
    n_generators: int | None = Field(None, ge=1, le=MAX_GAN_SEEDS, alias="seeds")
    device: str = "auto"  # "auto" (CUDA if available), "cpu" or "cuda"
    # quality checks every N epochs: images per-class diversity (mode-collapse warnings) and,
    # with patience, domain FID; tables (only with patience) the held-out val_distance
    eval_every: int = Field(10, ge=0, le=MAX_STEPS)
    # stop after this many checks without a better domain FID (images) or held-out distance
    # (tables: 10% of each class's train rows are then held out of GAN training), keep the
    # best EMA weights; None: train all epochs
    patience: int | None = Field(None, ge=1, le=MAX_STEPS)
    # images: log a per-class sample grid every N epochs
    grid_every: int = Field(50, ge=0, le=MAX_STEPS)
    checkpoint_dir: str | None = None  # write resumable training checkpoints here (None: off)
    checkpoint_every: int = Field(10, ge=1, le=MAX_STEPS)  # epochs between checkpoints
    # the model knobs, per data kind; setting the other kind's section is an error
    tabular: TabularSection = TabularSection()
    image: ImageSection = ImageSection()

    def model_settings(self, kind: str) -> TabularGANConfig | ImageGANConfig:
        """The settings of the model fitted on ``kind`` data: the common fields (None: the
        model's default) with the knobs of that kind's section."""
        given = {
            "epochs": self.epochs,
            "noise_dim": self.noise_dim,
            "lr_g": self.lr_g,
            "lr_d": self.lr_d,
            "batch_size": self.batch_size,
            "ema_decay": self.ema_decay,
            "device": self.device,
        }
        common = {k: v for k, v in given.items() if v is not None}
        common |= {"eval_every": self.eval_every, "patience": self.patience}
        if kind == "image":
            return ImageGANConfig(**common, **self.image.model_dump())
        return TabularGANConfig(**common, **self.tabular.model_dump())

    def check_applies(self, kind: str) -> None:
        """Raise `ConfigError` when a setting for the other data kind was changed."""
        other, own = ("image", "tabular") if kind == "table" else ("tabular", "image")
        section = getattr(self, other)
        default = type(section)()
        changed = [
            k for k in type(section).model_fields if getattr(section, k) != getattr(default, k)
        ]
        if kind == "table" and self.grid_every != type(self).model_fields["grid_every"].default:
            changed.insert(0, "grid_every")
            other = None
        if changed:
            key = f"gan.{other}.{changed[0]}" if other else f"gan.{changed[0]}"
            raise ConfigError(
                f"{key} does not apply to {'an image' if kind == 'image' else 'a table'} dataset;"
                f" its GAN is set with gan.{own}.* (and the common gan.* keys)"
            )


RUNNERS = ("thread", "dask")
DEFAULT_GAN_SEEDS = 2  # generators per run when gan.seeds is not given (capped at `seeds`)


def _one_of(name: str, allowed, what: str) -> str:
    """``name`` if it is in ``allowed``, else the error naming it and what is allowed."""
    if name not in allowed:
        raise ValueError(f"unknown {what} {name!r}; allowed: {', '.join(allowed)}")
    return name


class OrchestrationConfig(_Strict):
    runner: str = "thread"  # task runner for arms x seeds: "thread" (pool) or "dask"
    # thread pool size / Dask workers (None: cores)
    max_workers: int | None = Field(None, ge=1, le=MAX_WORKERS)
    dask_address: str | None = None  # scheduler address; None: a Dask LocalCluster per run
    cache_dir: str = ".augment/cache"  # persisted task results and fitted GANs (relative: cwd)
    retrain: bool = False  # ignore a cached GAN and train again (the new one replaces it)

    @field_validator("runner")
    @classmethod
    def _known_runner(cls, name: str) -> str:
        return _one_of(name, RUNNERS, "runner")


class RunConfig(_Strict):
    data: DataConfig = DataConfig()
    gan: GANConfig = GANConfig()
    # the arms to compare (augment/arms/: one module each); default: every arm marked default
    arms: list[str] = Field(default_factory=_default_arms)
    # YAML seeds: classifier (and generation) seeds per arm, 0 .. n - 1
    n_classifier_seeds: int = Field(5, ge=1, le=MAX_SEEDS, alias="seeds")
    classifier: str = "auto"
    sampling_strategy: Any = "auto"  # imbalanced-learn semantics: str, float or {class: n}
    orchestration: OrchestrationConfig = OrchestrationConfig()  # not part of any cache key
    # albumentations pipeline of the classical arms, [{name: Affine, rotate: [-12, 12]}, ...];
    # None: augment.imageaug.DEFAULT_PIPELINE
    augmentations: list[dict[str, Any]] | None = None

    @field_validator("arms")
    @classmethod
    def _known_arms(cls, arms: list[str]) -> list[str]:
        from augment.arms import names

        unknown = [a for a in arms if a not in names()]
        if unknown:
            raise ValueError(f"unknown arm(s) {unknown}; allowed: {', '.join(names())}")
        if not arms:
            raise ValueError("at least one arm is needed")
        return list(dict.fromkeys(arms))

    @model_validator(mode="after")
    def _every_generator_used(self) -> RunConfig:
        n_seeds, asked = self.n_classifier_seeds, self.gan.n_generators
        if asked is not None and n_seeds < asked:
            raise ValueError(
                f"seeds ({n_seeds}) must be >= gan.seeds ({asked}): classifier seed s"
                " uses generator s mod gan.seeds, so every generator needs a seed; raise seeds"
                " or lower gan.seeds"
            )
        last = self.gan.seed + self.n_generators - 1
        if last > SEED_MAX:  # generator i has GAN seed gan.seed + i
            raise ValueError(
                f"gan.seed ({self.gan.seed}) + gan.seeds ({self.n_generators}) - 1 = {last} is"
                f" above the largest seed {SEED_MAX}: generator i has GAN seed gan.seed + i;"
                " lower gan.seed"
            )
        return self

    @property
    def n_generators(self) -> int:
        """K, the generators the GAN arms use: ``gan.seeds``, or min(2, ``seeds``) when unset."""
        return self.gan.n_generators or min(DEFAULT_GAN_SEEDS, self.n_classifier_seeds)

    @field_validator("classifier")
    @classmethod
    def _known_classifier(cls, name: str) -> str:
        return _one_of(name, CLASSIFIERS, "classifier")

    @field_validator("sampling_strategy")
    @classmethod
    def _known_strategy(cls, value: Any) -> Any:
        from augment.balance import check_strategy  # imbalanced-learn, lazily

        return check_strategy(value)

    @field_validator("augmentations")
    @classmethod
    def _known_transforms(cls, spec: list[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
        if spec is not None:
            from augment.imageaug import build_pipeline  # albumentations, lazily

            try:
                build_pipeline(spec)
            except ConfigError as err:
                raise ValueError(str(err)) from None
        return spec


def _format_validation_error(err: ValidationError, where: str) -> str:
    parts = []
    for e in err.errors():
        loc = ".".join(str(p) for p in e["loc"]) or "(root)"
        msg = "unknown key" if e["type"] == "extra_forbidden" else e["msg"]
        if not e["loc"]:  # a check across fields (model validator): its own words only
            parts.append(msg.removeprefix("Value error, "))
            continue
        parts.append(f"{loc}: {msg}")
    return f"invalid config {where}: " + "; ".join(parts)


def build_config(values: dict[str, Any], where: str = "") -> RunConfig:
    """Validate a nested dict into a `RunConfig`, raising `ConfigError` listing every problem."""
    try:
        return RunConfig.model_validate(values)
    except ValidationError as err:
        raise ConfigError(_format_validation_error(err, where or "(values)")) from None


def _children(node: yaml.Node) -> list[yaml.Node]:
    """The nodes directly under a YAML node (keys and values of a mapping)."""
    if isinstance(node, yaml.SequenceNode):
        return node.value
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return []


def _expanded_size(root: yaml.Node) -> int | None:
    """The nodes of a document once every alias is expanded, counted without expanding them
    (an alias is the same node object as its anchor); None when an alias refers to itself."""
    size: dict[int, int] = {}
    open_ids: set[int] = set()  # the nodes on the current path from the root
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, closing = stack.pop()
        if closing:
            open_ids.discard(id(node))
            size[id(node)] = 1 + sum(size[id(c)] for c in _children(node))
        elif id(node) in open_ids:
            return None
        elif id(node) not in size:
            open_ids.add(id(node))
            stack.append((node, True))
            stack.extend((c, False) for c in _children(node))
    return size[id(root)]


def _read_yaml(p: Path) -> Any:
    """The YAML document of config file ``p``, refused with `ConfigError` when it is not a
    readable UTF-8 file, not YAML, too big, or bigger than `MAX_YAML_NODES` values once its
    aliases are expanded (checked on the parsed graph, before any value is built)."""
    if p.is_dir():
        raise ConfigError(f"config file {p} is a folder; give the path of a YAML file")
    if not p.exists():
        raise ConfigError(f"config file {p} does not exist")
    if not p.is_file():
        raise ConfigError(f"config file {p} is not a regular file; give the path of a YAML file")
    try:
        n_bytes = p.stat().st_size
        if n_bytes > MAX_CONFIG_BYTES:
            raise ConfigError(
                f"config file {p} is {n_bytes} bytes; at most {MAX_CONFIG_BYTES} are allowed"
            )
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise ConfigError(f"config file {p} is not UTF-8 text (byte {err.start})") from None
    except OSError as err:
        raise ConfigError(f"config file {p} cannot be read: {err.strerror or err}") from None
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        size = _expanded_size(node)
        if size is None:
            raise ConfigError(f"config file {p}: a YAML alias refers to itself (recursive anchor)")
        if size > MAX_YAML_NODES:
            raise ConfigError(
                f"config file {p}: more than {MAX_YAML_NODES} values once its YAML aliases are"
                " expanded; write the values out instead of nesting aliases"
            )
        return loader.construct_document(node)
    except yaml.YAMLError as err:
        raise ConfigError(f"config file {p} is not valid YAML: {err}".splitlines()[0]) from None
    except RecursionError:
        raise ConfigError(f"config file {p}: YAML nested too deeply") from None
    finally:
        loader.dispose()


def load_config(
    path: str | Path | None = None, overrides: dict[str, Any] | None = None
) -> RunConfig:
    """Load a YAML config (optional), then apply dotted overrides like ``{"gan.epochs": 5}``."""
    values: dict[str, Any] = {}
    where = "(command line)"
    if path is not None:
        p = Path(path)
        where = str(p)
        loaded = _read_yaml(p)
        if loaded is not None and not isinstance(loaded, dict):
            raise ConfigError(f"config file {p} must hold a mapping, got {type(loaded).__name__}")
        values = loaded or {}
    for dotted, value in (overrides or {}).items():
        if value is None:
            continue
        node = values
        *parents, leaf = dotted.split(".")
        for key in parents:
            if node.get(key) is None:  # `data:` left empty in the YAML
                node[key] = {}
            elif not isinstance(node[key], dict):
                raise ConfigError(
                    f"invalid config {where}: {key}: must be a mapping (key: value lines), got"
                    f" {type(node[key]).__name__}"
                )
            node = node[key]
        node[leaf] = value
    return build_config(values, where)
