import numpy as np
import pytest

from augment.imagemetrics import diversity, frechet_distance, prdc


def test_frechet_distance_zero_on_same_and_grows_with_shift():
    a = np.random.default_rng(0).normal(size=(300, 4))
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-3)
    assert frechet_distance(a, a + 1.0) == pytest.approx(4.0, rel=0.05)


def test_prdc_identical_vs_disjoint():
    rng = np.random.default_rng(0)
    real, fake = rng.normal(size=(200, 3)), rng.normal(size=(200, 3))
    same = prdc(real, fake, k=5)
    assert same["precision"] > 0.8 and same["recall"] > 0.8 and same["coverage"] > 0.8
    far = prdc(real, fake + 50.0, k=5)
    assert far == {"precision": 0.0, "recall": 0.0, "density": 0.0, "coverage": 0.0}


def test_diversity_drops_on_collapse():
    rng = np.random.default_rng(0)
    real = rng.random((30, 1, 8, 8))
    assert diversity(real, rng.random((30, 1, 8, 8))) == pytest.approx(1.0, rel=0.1)
    collapsed = np.repeat(real[:1], 30, axis=0) + rng.normal(0, 1e-3, (30, 1, 8, 8))
    assert diversity(real, collapsed) < 0.05
