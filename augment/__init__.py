"""augment: conditional-GAN data augmentation with an honest downstream comparison."""

from augment.balance import balance_plan
from augment.config import RunConfig, load_config
from augment.data import LabeledDataset, load_dataset
from augment.exceptions import AugmentError, ConfigError, InvalidDataError
from augment.gan import ImageCGAN, TabularCGAN
from augment.sampler import ConditionalGANOverSampler

__all__ = [
    "AugmentError",
    "ConditionalGANOverSampler",
    "ConfigError",
    "ImageCGAN",
    "InvalidDataError",
    "LabeledDataset",
    "RunConfig",
    "TabularCGAN",
    "balance_plan",
    "load_config",
    "load_dataset",
]
__version__ = "0.1.0"
