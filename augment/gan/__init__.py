"""Conditional GANs for tables and images, sharing one adversarial training loop."""

from augment.gan.history import History
from augment.gan.image import ImageCGAN, ImageGANConfig
from augment.gan.persist import load_model, save_model
from augment.gan.tabular import TabularCGAN, TabularGANConfig

__all__ = [
    "History",
    "ImageCGAN",
    "ImageGANConfig",
    "TabularCGAN",
    "TabularGANConfig",
    "load_model",
    "save_model",
]
