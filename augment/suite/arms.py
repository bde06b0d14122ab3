"""The compared arms: name -> factory(seed, context) -> an imblearn sampler, or None.

Classical arms (none, random oversampling, SMOTE*, class weights) and "ours" (by default
`augment.ConditionalGANOverSampler` with its defaults). Factories are module-level callables or
`functools.partial` objects so they reach worker processes by reference.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from augment.exceptions import ConfigError, InvalidDataError


@dataclass(frozen=True)
class FoldContext:
    """What a factory may know about the training fold it resamples (no test data).

    Attributes
    ----------
    repeat, fold : int
        Position of the fold in the repeated k-fold.
    nominal : list of str
        Nominal feature columns; ``n_features`` the number of feature columns.
    n_min : int
        Rows of the smallest class in the training fold.
    """

    repeat: int
    fold: int
    nominal: list[str]
    n_features: int
    n_min: int


@dataclass(frozen=True)
class Arm:
    """One arm.

    Attributes
    ----------
    factory : callable
        ``factory(seed, context) -> sampler or None`` (None: train on the fold as it is).
    class_weight : bool
        Fit the classifiers with ``class_weight="balanced"``.
    classical : bool
        A classical remedy (competes for "best classical" of a row).
    gan_seeds : bool
        Fit it ``gan_seeds`` times per fold with different seeds (the generator's variance).
    """

    factory: Callable[[int, FoldContext], Any]
    class_weight: bool = False
    classical: bool = True
    gan_seeds: bool = False


def no_resampling(seed: int, ctx: FoldContext) -> None:
    """The "none" and "class_weight" arms: no sampler."""
    return None


def random_oversampler(seed: int, ctx: FoldContext):
    """`imblearn.over_sampling.RandomOverSampler` seeded with ``seed``."""
    from imblearn.over_sampling import RandomOverSampler

    return RandomOverSampler(random_state=seed)


def smote_for(seed: int, ctx: FoldContext):
    """SMOTE (all numeric), SMOTENC (mixed) or SMOTEN (all nominal), k = min(5, n_min - 1)."""
    from imblearn.over_sampling import SMOTE, SMOTEN, SMOTENC

    if ctx.n_min < 2:
        raise InvalidDataError(
            f"SMOTE needs 2 rows of every class in a training fold; the smallest has {ctx.n_min}"
        )
    k = min(5, ctx.n_min - 1)
    if not ctx.nominal:
        return SMOTE(k_neighbors=k, random_state=seed)
    if len(ctx.nominal) == ctx.n_features:
        return SMOTEN(k_neighbors=k, random_state=seed)
    return SMOTENC(categorical_features=list(ctx.nominal), k_neighbors=k, random_state=seed)


def gan_oversampler(seed: int, ctx: FoldContext, **params: Any):
    """The default "ours": `ConditionalGANOverSampler(random_state=seed, **params)`."""
    from augment.sampler import ConditionalGANOverSampler

    return ConditionalGANOverSampler(random_state=seed, **params)


def _call_with_seed(fn: Callable[[int], Any], seed: int, ctx: FoldContext) -> Any:
    return fn(seed)


def ours(fn: Callable[[int], Any] | None = None) -> Arm:
    """An "ours" arm from ``fn(seed) -> sampler`` (default: the GAN over-sampler's defaults)."""
    factory = gan_oversampler if fn is None else partial(_call_with_seed, fn)
    return Arm(factory=factory, classical=False, gan_seeds=True)


def classical_arms() -> dict[str, Arm]:
    """none, random_oversampling, smote (SMOTE/SMOTENC/SMOTEN) and class_weight."""
    return {
        "none": Arm(no_resampling),
        "random_oversampling": Arm(random_oversampler),
        "smote": Arm(smote_for),
        "class_weight": Arm(no_resampling, class_weight=True),
    }


def default_arms() -> dict[str, Arm]:
    """The classical arms and ``ours`` = the GAN over-sampler with its defaults."""
    return {**classical_arms(), "ours": ours()}


def load_variant(spec: str) -> tuple[str, Arm]:
    """``name=module:callable`` -> ``(name, ours(callable))``; ``callable(seed)`` -> sampler.

    Raises
    ------
    ConfigError
        Malformed spec, or the module / attribute cannot be imported.
    """
    name, eq, target = spec.partition("=")
    module, colon, attr = target.partition(":")
    if not eq or not colon or not name or not module or not attr:
        raise ConfigError(f"variant {spec!r}: expected name=module:callable")
    try:
        fn = getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError) as err:
        raise ConfigError(f"variant {spec!r}: cannot import {target} ({err})") from None
    if not callable(fn):
        raise ConfigError(f"variant {spec!r}: {target} is not callable")
    return name, ours(fn)
