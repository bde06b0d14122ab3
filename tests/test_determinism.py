"""Same seed and config on CPU -> the same JSON summary; another GAN seed -> another one."""

from __future__ import annotations

import json

import pytest

from augment.arms import applicable_arms, run_arm
from augment.balance import balance_plan
from augment.config import build_config
from augment.experiment import build_summary, fit_generator, prepare, synthetic_quality
from flows import augmentation_flow

VALUES = {
    "data": {"source": "builtin:wine", "imbalance_fraction": 0.3},
    "gan": {"epochs": 2, "batch_size": 64},
    "seeds": 1,
}


pytestmark = pytest.mark.usefixtures("one_thread")  # see conftest.py


def _config(gan_seed: int):
    return build_config({**VALUES, "gan": {**VALUES["gan"], "seed": gan_seed}})


def _summary(gan_seed: int) -> dict:
    """The flow's steps, without orchestration or tracking, as JSON."""
    cfg = _config(gan_seed)
    data, splits = prepare(cfg.data)
    plan = balance_plan(splits.train.y, cfg.sampling_strategy, splits.train.class_names)
    model = fit_generator(splits.train, cfg.gan, progress=False)
    seeds = list(range(cfg.n_classifier_seeds))
    results = {
        arm: run_arm(arm, splits, plan, seeds, cfg.classifier, model)
        for arm in applicable_arms(cfg.arms, splits)[0]
    }
    quality = synthetic_quality(model, splits, cfg.classifier, seed=cfg.gan.seed)
    summary = build_summary(cfg, data, splits, results, quality, None, None)
    return json.loads(json.dumps(summary.to_json(), default=str))


def test_same_seed_same_summary_other_seed_differs():
    a, b, c = _summary(0), _summary(0), _summary(1)
    assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)
    assert a["arms"]["gan"] != c["arms"]["gan"] or a["synthetic_quality"] != c["synthetic_quality"]
    # the arms that do not use the GAN do not move with its seed
    for arm in ("baseline", "smote", "oracle"):
        assert a["arms"][arm] == c["arms"][arm]


@pytest.mark.usefixtures("prefect_harness")
def test_flow_summary_equals_library_steps(mlflow_tmp):
    """The orchestrated run (threads, tasks, tracking) reproduces the plain steps exactly."""
    flow = json.loads(json.dumps(augmentation_flow(_config(0)), default=str))
    plain = _summary(0)
    for key in ("arms", "delta_vs_baseline", "gap_recovered", "synthetic_quality", "dataset_hash"):
        assert flow[key] == plain[key], key
