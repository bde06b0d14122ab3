"""The arms of the comparison: how each builds its classifier's training set.

Every public module of this package declares one arm (`Arm`, registered on import); the modules
are found and imported here, so adding an arm is adding one module. `names()` lists them.
"""

from __future__ import annotations

import importlib
import pkgutil

from augment.arms._best import best_classical
from augment.arms._common import features
from augment.arms._registry import (
    Arm,
    Draw,
    classical_arms,
    default_names,
    generator_arms,
    get,
    names,
    register,
    unregister,
)
from augment.arms._run import ArmResult, applicable_arms, arm_classifier, run_arm, training_set

for _mod in pkgutil.iter_modules(__path__):
    if not _mod.name.startswith("_"):
        importlib.import_module(f"{__name__}.{_mod.name}")

__all__ = [
    "Arm",
    "ArmResult",
    "Draw",
    "applicable_arms",
    "best_classical",
    "classical_arms",
    "default_names",
    "features",
    "generator_arms",
    "get",
    "names",
    "register",
    "arm_classifier",
    "run_arm",
    "training_set",
    "unregister",
]
