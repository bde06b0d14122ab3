"""Everything a run checks before it writes anything: one pass, one value object.

`preflight` loads and splits the data (`prepare`), keeps the arms that can run on it (with the
reason for each one dropped), builds the balance plan, checks every place the run will use (GAN
device, image size, checkpoint and cache folders, the tracking store) and computes the cache
keys.
The CLI calls it before Prefect or MLflow start; the flow calls it (or is handed its result)
before it opens an MLflow run. A user mistake therefore exits 2 with one line and leaves no
MLflow run and no file behind.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from augment.arms import applicable_arms, get
from augment.balance import balance_plan
from augment.cache import cache_paths, gan_cache_key
from augment.classify import check_classifier
from augment.config import DataConfig, GANConfig, RunConfig
from augment.data import LabeledDataset, Splits, load_dataset, make_splits
from augment.exceptions import ConfigError
from augment.experiment.pairing import gan_seeds, generator_config

DASK_PORT = 8786  # a scheduler's default port, when an address names none


@dataclass(frozen=True)
class GeneratorSpec:
    """One of the run's K generators: its GAN seed, config, cache key and metric prefix."""

    seed: int
    config: GANConfig
    key: str
    prefix: str  # its losses are logged as <prefix><name>: "gan_" for the first
    model_path: Path  # its weights-only file in the cache (may not exist yet)


@dataclass(frozen=True)
class Prepared:
    """A run that has passed every check: what the flow consumes."""

    cfg: RunConfig
    data: LabeledDataset
    splits: Splits
    arms: list[str]  # the arms that run, in config order
    skipped: dict[str, str]  # arm -> why it cannot run on this data
    plan: dict[int, int]  # synthetic rows per class code
    data_hash: str
    test_hash: str  # of the test split, fixed before any generation (leakage check)
    generators: list[GeneratorSpec]  # the K generators (keyed even when no arm uses one)
    results_dir: Path  # cached evaluations (JSON) and plots (absolute; created on write)

    @property
    def uses_generator(self) -> bool:
        return any(get(a).uses_generator for a in self.arms)

    @property
    def plan_json(self) -> dict[str, int]:
        """The balance plan with string keys (JSON, MLflow params, cache keys)."""
        return {str(k): v for k, v in self.plan.items()}

    @property
    def eval_key(self) -> str:
        """The GAN key the non-GAN arms' cached results are filed under."""
        return self.generators[0].key


def prepare(cfg: DataConfig) -> tuple[LabeledDataset, Splits]:
    """Load and split the data; the test split is real only and made before any generation."""
    data = load_dataset(cfg.source, cfg.label, cfg.missing, cfg.min_class_rows, cfg.discrete)
    splits = make_splits(
        data,
        cfg.test_size,
        cfg.split_seed,
        cfg.imbalance_classes,
        cfg.imbalance_fraction,
        cfg.min_class_rows,
    )
    return data, splits


def check_cache_dir(path: str) -> None:
    """The cache folder is a folder (or can be made) and writable."""
    p = Path(path).expanduser().resolve()
    if p.exists() and not p.is_dir():
        raise ConfigError(f"cache dir {path} is a file; give a folder (--cache-dir)")
    while not p.exists() and p != p.parent:
        p = p.parent
    if not p.is_dir() or not os.access(p, os.W_OK | os.X_OK):
        raise ConfigError(f"cache dir {path} cannot be created or written ({p} is not writable)")


def check_dask_address(address: str, timeout_s: float = 3) -> None:
    """A Dask scheduler listens at ``address`` (``tcp://host:port``, ``tls://``, ``ws://`` or
    ``host:port``): one TCP connect with a short timeout, so an unreachable scheduler is said
    before any MLflow run is opened, not after the runner's own minute of retries. Addresses
    that are not TCP (``inproc://``, ``ucx://``) are left to Dask."""
    scheme, sep, rest = address.partition("://")
    if not sep:
        scheme, rest = "tcp", address
    if scheme.lower() not in ("tcp", "tls", "ws", "wss"):
        return
    try:
        where = urlsplit(f"//{rest}")
        host, port = where.hostname, where.port or DASK_PORT
    except ValueError as err:
        raise ConfigError(f"--dask-address {address!r} is not host:port ({err})") from None
    if not host:
        raise ConfigError(f"--dask-address {address!r} names no host; e.g. tcp://127.0.0.1:8786")
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return
    except TimeoutError:
        reason = f"no answer within {timeout_s:g} s"
    except OSError as err:
        reason = err.strerror or str(err) or type(err).__name__
    raise ConfigError(
        f"the Dask scheduler at {address} is unreachable ({reason}); start it (`dask scheduler`),"
        " fix --dask-address, or leave it out for a local cluster"
    )


def _check_generator(cfg: RunConfig, train: LabeledDataset) -> None:
    """The GAN can be built for this data on this machine: device, image size, checkpoints."""
    from augment.torchutil import resolve_device  # torch, only when a GAN will be fitted

    resolve_device(cfg.gan.device)
    if train.kind == "image":
        from augment.gan.image import padded_side

        padded_side(*train.X.shape[-2:])
    if cfg.gan.checkpoint_dir:
        from augment.gan.checkpoint import check_checkpoint_dir

        check_checkpoint_dir(cfg.gan.checkpoint_dir)


def preflight(cfg: RunConfig, tracking: bool = True) -> Prepared:
    """Check the whole run, in the order it will happen; raise `AugmentError` on the first
    problem. ``tracking=False`` skips the tracking-store probe (library use without MLflow)."""
    data, splits = prepare(cfg.data)
    cfg.gan.check_applies(splits.train.kind)
    check_classifier(cfg.classifier, splits.train)
    arms, skipped = applicable_arms(cfg.arms, splits, cfg.classifier)
    plan = balance_plan(splits.train.y, cfg.sampling_strategy, splits.train.class_names)
    if any(get(a).uses_generator for a in arms):
        _check_generator(cfg, splits.train)
    check_cache_dir(cfg.orchestration.cache_dir)
    if cfg.orchestration.runner == "dask" and cfg.orchestration.dask_address:
        check_dask_address(cfg.orchestration.dask_address)
    if tracking:
        from augment.tracking import check_reachable, load_tracking_config

        check_reachable(load_tracking_config())
    data_hash = data.content_hash()
    generators = []
    for i, s in enumerate(gan_seeds(cfg)):
        gan = generator_config(cfg.gan, s)
        prefix = "gan_" if i == 0 else f"gan_seed{s}_"
        key = gan_cache_key(data_hash, cfg.data, gan)
        results_dir, model_path = cache_paths(cfg.orchestration.cache_dir, key)
        generators.append(GeneratorSpec(s, gan, key, prefix, model_path))
    test_hash = splits.test.content_hash()
    return Prepared(
        cfg, data, splits, arms, skipped, plan, data_hash, test_hash, generators, results_dir
    )
