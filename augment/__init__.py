"""augment: conditional-GAN data augmentation with an honest downstream comparison.

The public names are imported lazily (PEP 562), so ``import augment.exceptions`` and
``augment --help`` do not pay for torch, scikit-learn or imbalanced-learn.
"""

from importlib import import_module
from typing import Any

_PUBLIC = {
    "AugmentError": "augment.exceptions",
    "ConfigError": "augment.exceptions",
    "InvalidDataError": "augment.exceptions",
    "balance_plan": "augment.balance",
    "RunConfig": "augment.config",
    "load_config": "augment.config",
    "LabeledDataset": "augment.data",
    "load_dataset": "augment.data",
    "ImageCGAN": "augment.gan",
    "TabularCGAN": "augment.gan",
    "ConditionalGANOverSampler": "augment.sampler",
    "ImageGANOverSampler": "augment.image_sampler",
    "SyntheticImageDataset": "augment.image_dataset",
}

__all__ = sorted(_PUBLIC)
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    if name in _PUBLIC:
        value = getattr(import_module(_PUBLIC[name]), name)
        globals()[name] = value  # cache: later lookups skip this hook
        return value
    raise AttributeError(f"module 'augment' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(list(globals()) + __all__)
