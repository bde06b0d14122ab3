"""augment: conditional-GAN data augmentation with an honest downstream comparison.

The public names are imported lazily (PEP 562), so ``import augment.exceptions`` and
``augment --help`` do not pay for torch, scikit-learn or imbalanced-learn.
"""

from augment._lazy import lazy_exports

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
__getattr__, __dir__ = lazy_exports(__name__, _PUBLIC)
