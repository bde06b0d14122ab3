"""The compared arms: name -> factory(seed, context) -> an imblearn-style sampler, or None.

The classical arms are the run's registry arms (`augment.arms`: ``baseline``,
``random_oversample``, ``smote``, ``class_weight``, ``threshold``), each wrapped as a sampler by
`ArmSampler` so the suite and `augment run` share their names and their code; an arm that
changes the classifier (``threshold``) changes it through the registry (`Arm.wrap`), and one
that cannot run on a table (``threshold`` on more than two classes) is skipped there with the
registry's reason. ``gan`` is by default
`augment.ConditionalGANOverSampler` with its defaults; variants are further generator arms.
Factories are module-level callables or `functools.partial` objects so they reach worker
processes by reference.

Results saved under the suite's former names (``none``, ``random_oversampling``, ``ours``)
still read: `canonical_arm` maps them to today's.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from augment.exceptions import ConfigError

if TYPE_CHECKING:
    from augment.data import LabeledDataset

#: the suite's former arm names -> the registry's (old reports and CLI arguments still read)
ARM_ALIASES = {"none": "baseline", "random_oversampling": "random_oversample", "ours": "gan"}
#: the registry arms the suite runs by default, in column order
CLASSICAL = ("baseline", "random_oversample", "smote", "class_weight", "threshold")


def canonical_arm(name: str) -> str:
    """Today's name of an arm: a former suite name (`ARM_ALIASES`) mapped, others unchanged."""
    return ARM_ALIASES.get(name, name)


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
    class_weight : {"balanced", None}
        The classifiers' ``class_weight`` (as `augment.classify.make_classifier` takes it).
    classical : bool
        A classical remedy (competes for "best classical" of a row).
    gan_seeds : bool
        Fit it ``gan_seeds`` times per fold with different seeds (the generator's variance).
    registry : str, optional
        The `augment.arms` arm it is: its classifier wrapper and its requirements apply.
    per_classifier : bool
        The sampler depends on the classifier after it (``tune_estimator=classifier``): the
        factory is called as ``factory(seed, context, classifier=...)`` once per classifier.
    """

    factory: Callable[[int, FoldContext], Any]
    class_weight: str | None = None
    classical: bool = True
    gan_seeds: bool = False
    registry: str | None = None
    per_classifier: bool = False

    def why_not(self, data: LabeledDataset, classifier: str) -> str | None:
        """Why the registry arm cannot run on a fold of ``data`` with ``classifier``, or None."""
        if self.registry is None:
            return None
        from augment.arms import get
        from augment.data import Splits

        splits = Splits(train=data, test=data, oracle=None, reduced_classes=[])
        return get(self.registry).why_not(splits, classifier)

    def wrap(self, classifier: Any, seed: int, y: np.ndarray) -> Any:
        """The classifier this arm trains on labels ``y`` (the registry arm's `Arm.wrap`)."""
        if self.registry is None:
            return classifier
        from augment.arms import get

        return get(self.registry).wrap(classifier, seed, y)


@dataclass(frozen=True)
class ArmSampler:
    """A registry arm as a sampler: ``fit_resample(X, y)`` is the arm's training set.

    Every class but the majority is oversampled to the majority's count (imbalanced-learn's
    ``sampling_strategy="auto"``), the balance plan of `augment run`'s default.
    """

    arm: str
    seed: int
    nominal: tuple[str, ...] = ()

    def fit_resample(self, X: pd.DataFrame, y: np.ndarray) -> tuple[pd.DataFrame, np.ndarray]:
        from augment.arms import Draw, get
        from augment.balance import balance_plan
        from augment.data import Splits
        from augment.suite.data import fold_dataset

        train = fold_dataset(X, y, list(self.nominal))
        splits = Splits(train=train, test=train, oracle=None, reduced_classes=[])
        return get(self.arm).build(Draw(splits, balance_plan(y), self.seed))


def arm_sampler(arm: str, seed: int, ctx: FoldContext) -> ArmSampler:
    """The factory of a registry arm: `ArmSampler` for ``arm`` on this fold."""
    return ArmSampler(arm, seed, tuple(ctx.nominal))


def registry_arm(name: str) -> Arm:
    """The suite arm of the run's registry arm ``name`` (a former suite name is accepted).

    Raises
    ------
    ConfigError
        Unknown arm, or one the suite cannot run (a generator's, a reference, images only).
    """
    from augment.arms import get

    name = canonical_arm(name)
    try:
        spec = get(name)
    except ValueError as err:
        raise ConfigError(str(err)) from None
    if not spec.classical or "table" not in spec.kinds:
        raise ConfigError(
            f"the suite runs the classical table arms of the registry, not {name!r}; "
            "generator arms enter as gan / variants"
        )
    return Arm(partial(arm_sampler, name), class_weight=spec.class_weight, registry=name)


#: a variant's ``tune_estimator`` value that stands for the row's classifier
TUNE_WITH_CLASSIFIER = "classifier"


def gan_oversampler(seed: int, ctx: FoldContext, classifier: Any = None, **params: Any):
    """The default ``gan``: `ConditionalGANOverSampler(random_state=seed, **params)`, its GAN
    fits shared with the fold's other generator arms (`SharedFitsOverSampler`: same rows).
    ``tune_estimator="classifier"`` tunes with ``classifier``, the row's own."""
    from augment.suite.shared_fits import SharedFitsOverSampler

    if params.get("tune_estimator") == TUNE_WITH_CLASSIFIER:
        params = {**params, "tune_estimator": classifier}
    return SharedFitsOverSampler(random_state=seed, **params)


def _call_with_seed(fn: Callable[[int], Any], seed: int, ctx: FoldContext) -> Any:
    return fn(seed)


def ours(fn: Callable[[int], Any] | None = None) -> Arm:
    """A generator arm from ``fn(seed) -> sampler`` (default: the GAN over-sampler's defaults)."""
    factory = gan_oversampler if fn is None else partial(_call_with_seed, fn)
    return Arm(factory=factory, classical=False, gan_seeds=True)


def classical_arms() -> dict[str, Arm]:
    """baseline, random_oversample, smote (SMOTE/SMOTENC/SMOTEN), class_weight, threshold."""
    return {name: registry_arm(name) for name in CLASSICAL}


def default_arms() -> dict[str, Arm]:
    """The classical arms and ``gan`` = the GAN over-sampler with its defaults."""
    return {**classical_arms(), "gan": ours()}


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
