import numpy as np
import pytest

from augment.config import build_config
from augment.exceptions import ConfigError
from augment.imageaug import DEFAULT_PIPELINE, build_pipeline, oversample


def _images():
    X = np.random.default_rng(0).random((12, 1, 8, 8), dtype=np.float32)
    return X, np.repeat([0, 1, 2], 4)


def test_oversample_follows_the_plan_and_is_seeded():
    X, y = _images()
    Xn, yn = oversample(X, y, {0: 0, 1: 5, 2: 9}, None, seed=3)
    assert Xn.shape == (14, 1, 8, 8) and np.bincount(yn, minlength=3).tolist() == [0, 5, 9]
    assert 0.0 <= Xn.min() and Xn.max() <= 1.0
    again, _ = oversample(X, y, {0: 0, 1: 5, 2: 9}, None, seed=3)
    np.testing.assert_array_equal(Xn, again)


def test_rgb_and_custom_spec():
    X = np.random.default_rng(0).random((4, 3, 28, 28), dtype=np.float32)
    spec = [{"name": "GaussNoise", "std_range": [0.01, 0.05], "p": 1.0}]
    Xn, yn = oversample(X, np.array([0, 0, 1, 1]), {1: 3}, spec, seed=0)
    assert Xn.shape == (3, 3, 28, 28) and (yn == 1).all()


def test_pipeline_spec_is_validated_in_the_run_config():
    cfg = build_config({"augmentations": DEFAULT_PIPELINE})
    assert cfg.model_dump()["augmentations"] == DEFAULT_PIPELINE  # plain data, YAML-able
    with pytest.raises(ConfigError, match="NotATransform"):
        build_config({"augmentations": [{"name": "NotATransform"}]})
    with pytest.raises(ConfigError, match="Affine"):
        build_pipeline([{"name": "Affine", "no_such_arg": 1}])
