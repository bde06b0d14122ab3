"""`augment.gan.base`: label codes, the sampling guard, saved state and the rebuilt model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from augment import InvalidDataError
from augment.gan import TabularCGAN, TabularGANConfig
from augment.gan.base import label_codes

CFG = TabularGANConfig(epochs=1, hidden=16, critic_hidden=16)


def _fitted(seed=0):
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=40), "b": rng.choice(["u", "v"], 40)})
    y = np.repeat(["cat", "dog"], 20)
    return TabularCGAN(CFG, random_state=seed, progress=False).fit(X, y), X, y


@pytest.mark.parametrize(
    ("classes", "y", "codes"),
    [
        (["a", "b", "c"], ["c", "a", "b", "a"], [2, 0, 1, 0]),
        ([3, 7], [7, 7, 3], [1, 1, 0]),
        (["only"], ["only"], [0]),
    ],
)
def test_label_codes_are_positions_in_the_sorted_classes(classes, y, codes):
    assert label_codes(y, np.asarray(classes)).tolist() == codes


@pytest.mark.parametrize("bad", [["zz"], ["0"], ["a", "q", "b"]])
def test_label_codes_name_unknown_labels_and_the_allowed_ones(bad):
    # "zz" sorts after every class and "0" before: both ends of searchsorted
    with pytest.raises(InvalidDataError, match=r"unknown class label\(s\) \[.*\]; .*\['a', 'b'\]"):
        label_codes(bad, np.asarray(["a", "b"]))


def test_label_codes_list_at_most_five_unknown_labels_sorted():
    with pytest.raises(InvalidDataError) as err:
        label_codes(list("zyxwvu") + ["a"], np.asarray(["a"]))
    assert "['u', 'v', 'w', 'x', 'y']" in str(err.value)


def test_sampling_before_fit_and_negative_counts_are_refused():
    with pytest.raises(RuntimeError, match="TabularCGAN is not fitted; call fit first"):
        TabularCGAN(CFG).sample(3, "cat")
    gan, _, _ = _fitted()
    with pytest.raises(InvalidDataError, match=r"n=-1: the number of samples must be >= 0"):
        gan.sample(-1, "cat")
    assert len(gan.sample(0, "cat")) == 0


def test_samples_are_seeded_per_call_or_drawn_from_the_fit_seed():
    gan, _, _ = _fitted()
    a, b = gan.sample(8, "dog", random_state=5), gan.sample(8, "dog", random_state=5)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(gan.sample(8, "dog", random_state=6))
    # no random_state: the model's own stream, so calls differ but a refit replays them
    first, second = gan.sample(8, "dog"), gan.sample(8, "dog")
    assert not first.equals(second)
    again, _, _ = _fitted()
    pd.testing.assert_frame_equal(again.sample(8, "dog"), first)


def test_meta_holds_config_seed_classes_and_history_and_rebuilds_the_model():
    gan, X, _ = _fitted(seed=3)
    meta = gan.get_meta()
    assert meta["config"]["epochs"] == 1 and meta["config"]["hidden"] == 16
    assert meta["random_state"] == 3 and meta["classes"] == ["cat", "dog"]
    assert meta["history"] == gan.history_.rows and len(meta["history"]) == 1
    state = {k: v.clone() for k, v in gan.generator_.state_dict().items()}
    back = TabularCGAN.from_meta(meta, state, device="cpu")
    assert back.progress is False and back.classes_.tolist() == ["cat", "dog"]
    assert back.noise_dim_ == CFG.noise_dim and back.history.rows == gan.history_.rows
    assert not back.generator_.training  # eval mode: batch-norm statistics, no dropout
    pd.testing.assert_frame_equal(
        back.sample(10, "cat", random_state=1), gan.sample(10, "cat", random_state=1)
    )
    assert list(back.sample(2, "dog", random_state=0).columns) == list(X.columns)


def test_fit_resolves_the_device():
    gan, _, _ = _fitted()
    assert gan.device_ == torch.device("cpu")  # CFG.device "auto" on a machine without CUDA
    assert next(gan.generator_.parameters()).device == gan.device_


def test_settings_are_the_config_or_the_model_defaults():
    assert TabularCGAN(CFG).settings_ is CFG
    assert TabularCGAN().settings_ == TabularGANConfig()
