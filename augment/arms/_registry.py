"""The arm registry: every arm of the comparison is one `Arm` declared in its own module.

An arm says what it is called, whether it trains on a generator's samples, which data kinds it
runs on, why it cannot run on some data (the reason is shown to the user), how it builds the
classifier's training set for one seed and, optionally, how it changes the classifier itself
(``wrap_classifier``: the ``threshold`` arm tunes the decision threshold). Config validation,
the CLI help, the flow and the summary all read this registry; adding an arm is one module in
``augment/arms/`` (plus its test).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from augment.data import LabeledDataset, Splits

Features = pd.DataFrame | np.ndarray
KINDS = ("table", "image")


@dataclass(frozen=True)
class Draw:
    """What an arm builds one seed's training set from."""

    splits: Splits
    plan: dict[int, int]  # synthetic rows per class code (the balance plan)
    seed: int
    model: Any = None  # the fitted generator (arms with ``uses_generator``)
    augmentations: list | None = None  # albumentations spec of the classical arms

    @property
    def train(self) -> LabeledDataset:
        return self.splits.train


@dataclass(frozen=True)
class Arm:
    name: str
    help: str  # one line: what the classifier trains on
    build: Callable[[Draw], tuple[Features, np.ndarray]]
    order: int  # position in listings and in the default arm list
    default: bool = True  # run when the config does not name its arms
    uses_generator: bool = False  # trains on a fitted generator's samples
    kinds: tuple[str, ...] = KINDS  # data kinds it runs on
    # why it cannot run on these splits with this classifier (shown to the user), or None
    requires: Callable[[Splits, str], str | None] | None = None
    class_weight: str | None = None  # the classifier's class_weight in this arm
    reference: bool = False  # a yardstick (held-back real data), never a remedy
    # (classifier, seed, training labels) -> the classifier this arm trains, or None: as made
    wrap_classifier: Callable[[Any, int, np.ndarray], Any] | None = None

    @property
    def classical(self) -> bool:
        """A classical remedy: neither a generator's samples nor a reference."""
        return not self.uses_generator and not self.reference

    def why_not(self, splits: Splits, classifier: str) -> str | None:
        """The reason this arm cannot run here, or None when it can."""
        kind = splits.train.kind
        if kind not in self.kinds:
            return f"the {self.name} arm runs on {' and '.join(self.kinds)} data, not a {kind}"
        return self.requires(splits, classifier) if self.requires else None

    def wrap(self, classifier: Any, seed: int, y: np.ndarray) -> Any:
        """The classifier this arm trains on labels ``y``: ``classifier`` (from
        `augment.classify.make_classifier`) through ``wrap_classifier``, or as it is.

        The one place an arm's classifier is changed, for `augment run` and the suite alike.
        """
        return self.wrap_classifier(classifier, seed, y) if self.wrap_classifier else classifier


_ARMS: dict[str, Arm] = {}


def register(arm: Arm) -> Arm:
    """Add ``arm`` to the registry (a second arm with the same name is an error)."""
    if arm.name in _ARMS and _ARMS[arm.name] != arm:
        raise ValueError(f"an arm named {arm.name!r} is already registered")
    if not set(arm.kinds) <= set(KINDS):
        raise ValueError(f"arm {arm.name!r}: kinds must be among {KINDS}, got {arm.kinds}")
    _ARMS[arm.name] = arm
    return arm


def unregister(name: str) -> None:
    """Remove an arm (tests that register a temporary one)."""
    _ARMS.pop(name, None)


def get(name: str) -> Arm:
    try:
        return _ARMS[name]
    except KeyError:
        raise ValueError(f"unknown arm {name!r}; allowed: {', '.join(names())}") from None


def names() -> list[str]:
    """Every registered arm, in listing order."""
    return [a.name for a in sorted(_ARMS.values(), key=lambda a: (a.order, a.name))]


def default_names() -> list[str]:
    """The arms a run uses when its config does not name them."""
    return [n for n in names() if _ARMS[n].default]


def generator_arms() -> list[str]:
    """The arms that train on a generator's samples."""
    return [n for n in names() if _ARMS[n].uses_generator]


def classical_arms() -> list[str]:
    """The classical remedies (no generator, not a reference such as the oracle)."""
    return [n for n in names() if _ARMS[n].classical]
