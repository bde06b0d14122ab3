"""`augment.experiment.generation.draw`: the rows the arms and the over-sampler generated
before it."""

from __future__ import annotations

import hashlib
import warnings

import numpy as np
import pandas as pd
import pytest

import augment.sampler
from augment.experiment.generation import DrawSeeds, draw
from augment.selection import DEFAULT_SELECTION, make_selector


class _Stub:
    """A fitted generator made of numpy: its rows depend on ``random_state`` and the class
    only, the same on every machine (no GAN training in the numbers)."""

    def __init__(self, *args, random_state: int = 0, **kwargs) -> None:
        self.offset = random_state % 7

    def fit(self, X, y):
        return self

    def sample(self, n: int, label, random_state: int | None = None) -> pd.DataFrame:
        rng = np.random.default_rng(random_state)
        shift = sum(map(ord, str(label))) % 5 + self.offset
        return pd.DataFrame(
            {"b": rng.integers(0, 4, n).astype(float), "a": rng.normal(size=n) + shift}
        )


def _real() -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1, 2], [30, 8, 5])
    return pd.DataFrame({"a": rng.normal(size=len(y)) + y, "b": rng.integers(0, 4, len(y))}), y


def _fingerprint(X: pd.DataFrame, y: np.ndarray) -> str:
    text = X.round(6).to_csv(index=False) + ",".join(map(str, np.asarray(y).tolist()))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# captured from `augment.arms.synthesize` and `ConditionalGANOverSampler._fit_resample` as they
# were before `draw` replaced them (same stub, same data, same seeds)
BEFORE = {
    "arm_herd": "97f2e9f6accec456",
    "arm_all": "b913417a020146a0",
    "sampler_herd": "29020ff370d7d04f",
    "sampler_all": "5fe15216f75d2831",
}
PLAN = {2: 6, 0: 0, 1: 4}  # unsorted, one class with nothing planned: it still counts for seeds


def test_the_gan_arms_rows_are_those_synthesize_made():
    X, y = _real()
    chooser = make_selector(DEFAULT_SELECTION, X, y)
    herded = draw(_Stub(), PLAN, chooser, 3, like=X)
    assert _fingerprint(*herded) == BEFORE["arm_herd"]
    assert herded[0].dtypes.to_dict() == X.dtypes.to_dict()  # the real table's dtypes
    first = draw(_Stub(), PLAN, None, 3)
    assert _fingerprint(*first) == BEFORE["arm_all"]
    assert first[1].tolist() == [1] * 4 + [2] * 6 and first[1].dtype == np.int64
    # an int seed is a run's convention: class i of the sorted plan samples with seed*1000 + i
    expected = _Stub().sample(4, 1, random_state=3001)
    pd.testing.assert_frame_equal(first[0].iloc[:4], expected)
    assert _fingerprint(*draw(_Stub(), PLAN, None, DrawSeeds.of_run(3))) == BEFORE["arm_all"]


@pytest.mark.parametrize("selection", ["herd", "all"])
def test_the_over_samplers_rows_are_those_it_made_before(monkeypatch, selection):
    monkeypatch.setattr(augment.sampler, "TabularCGAN", _Stub)
    X, y = _real()
    labels = np.array(["no", "yes", "maybe"])[y]
    sampler = augment.sampler.ConditionalGANOverSampler(
        random_state=5, n_generators=3, selection=selection, pool=3
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # 'maybe' has 5 real rows
        X_res, y_res = sampler.fit_resample(X, labels)
    assert _fingerprint(X_res.iloc[len(X) :], y_res[len(X) :]) == BEFORE[f"sampler_{selection}"]
    assert y_res.dtype == labels.dtype


def test_generators_share_each_classs_candidates_and_streams_are_explicit():
    calls = []

    class Recording(_Stub):
        def sample(self, n, label, random_state=None):
            calls.append((id(self), n, label, random_state))
            return super().sample(n, label, random_state)

    gens = [Recording(), Recording()]
    X, y = draw(gens, {0: 3}, None, DrawSeeds(10, shared=4))
    assert [c[1:] for c in calls] == [(2, 0, 10), (1, 0, 10 + 7919)]
    assert [c[0] for c in calls] == [id(g) for g in gens] and len(X) == 3


def test_nothing_planned_is_empty_of_the_right_kind():
    X, y = draw(None, {0: 0, 1: 0}, None, 0)
    assert isinstance(X, pd.DataFrame) and X.empty and y.shape == (0,) and y.dtype == np.int64
    X, y = draw(None, {}, None, 0, kind="image")
    assert isinstance(X, np.ndarray) and X.shape == (0, 0) and y.shape == (0,)


def test_images_come_back_one_flattened_row_per_image():
    class Images:
        def sample(self, n, label, random_state=None):
            return np.random.default_rng(random_state).random((n, 1, 2, 3))

    X, y = draw(Images(), {0: 2, 1: 1}, None, 1, like=np.zeros((4, 1, 2, 3)), kind="image")
    assert X.shape == (3, 6) and y.tolist() == [0, 0, 1]
    np.testing.assert_array_equal(X[2], Images().sample(1, 1, random_state=1001).reshape(-1))
