"""K generators per run (`gan.seeds`): fitted with distinct seeds, cached one by one, paired
with the classifier seeds (seed s -> generator s mod K) in every GAN-arm number."""

from __future__ import annotations

import numpy as np
import pytest
from mlflow.tracking import MlflowClient

from augment.arms import run_arm
from augment.balance import balance_plan
from augment.config import build_config
from augment.experiment import prepare
from augment.experiment.preflight import preflight
from augment.gan.persist import load_model
from flows import augmentation_flow
from flows.augmentation import run_local

pytestmark = pytest.mark.usefixtures("prefect_harness", "one_thread")


def _cfg(tmp_path, gan_seeds: int, seeds: int = 3):
    return build_config(
        {
            "data": {"source": "builtin:wine", "imbalance_fraction": 0.3},
            "gan": {"epochs": 1, "batch_size": 64, "seeds": gan_seeds},
            "seeds": seeds,
            "arms": ["baseline", "gan"],
            "classifier": "logistic_regression",
            "orchestration": {"cache_dir": str(tmp_path / "cache")},
        }
    )


def _models(tmp_path) -> dict[str, int]:
    return {f.name: f.stat().st_mtime_ns for f in (tmp_path / "cache" / "models").glob("*.pt")}


def test_k_generators_cached_one_by_one_and_paired_with_seeds(tmp_path, mlflow_tmp, monkeypatch):
    from flows import generators

    started: list[int] = []
    start_fit = generators.start_fit

    def counted(train, gan, prefix, threads):
        started.append(gan.seed)
        return start_fit(train, gan, prefix, threads)

    monkeypatch.setattr(generators, "start_fit", counted)
    cfg = _cfg(tmp_path, gan_seeds=2)
    summary = run_local(preflight(cfg))  # as the CLI: the fits start before the flow
    assert sorted(started) == [0, 1]  # one process per generator: the flow took both over
    client = MlflowClient(mlflow_tmp)
    tags = client.get_run(summary["mlflow_run_id"]).data.tags
    keys = tags["gan_cache_keys"].split(",")
    assert tags["gan_cached_per_generator"] == "false,false" and len(set(keys)) == 2
    assert summary["gan_seeds"] == [0, 1] and summary["generator_of_seed"] == [0, 1, 0]
    first = _models(tmp_path)
    assert sorted(first) == sorted(f"{k}.pt" for k in keys)

    # the pairing the summary used: seed s evaluated with generator s mod 2 gives its value
    _, splits = prepare(cfg.data)
    plan = balance_plan(splits.train.y, cfg.sampling_strategy, splits.train.class_names)
    gens = [load_model(tmp_path / "cache" / "models" / f"{k}.pt", device="cpu") for k in keys]

    def gan_value(seed: int, g: int) -> float:
        res = run_arm("gan", splits, plan, [seed], cfg.classifier, gens[g])
        return res.per_seed[0]["balanced_accuracy"]

    values = summary["arms"]["gan"]["balanced_accuracy"]["values"]
    assert values == [gan_value(s, s % 2) for s in range(3)]
    # another generator gives the same classifier seed another training set and number
    assert gan_value(0, 1) != values[0]
    per_gen = summary["per_generator"]["gan"]["balanced_accuracy"]
    assert per_gen == pytest.approx([np.mean([values[0], values[2]]), values[1]])
    q = summary["synthetic_quality_per_generator"]["c2st_auc"]
    assert len(q) == 2 and summary["synthetic_quality"]["c2st_auc"] == pytest.approx(np.mean(q))
    # every generator's synthetic rows went through the leakage check (3 seeds' worth)
    assert summary["leakage_check"]["synthetic_rows_checked"] == 3 * sum(plan.values())

    # MLflow: K on the GAN arm's child run, one loss series and one loss plot per generator
    run = client.get_run(summary["mlflow_run_id"])
    children = client.search_runs(
        [run.info.experiment_id], f"tags.mlflow.parentRunId = '{run.info.run_id}'"
    )
    gan_child = next(r for r in children if r.data.tags["arm"] == "gan")
    assert gan_child.data.params["gan.seeds"] == "2" and run.data.params["gan.seeds"] == "2"
    assert {"gan_d_loss", "gan_seed1_d_loss"} <= set(run.data.metrics)
    plots = {a.path for a in client.list_artifacts(run.info.run_id, "plots")}
    assert {"plots/gan_loss_curves.png", "plots/gan_loss_curves_seed1.png"} <= plots

    # same K again: nothing trains; one more generator: only that one trains
    again = augmentation_flow(cfg)
    tags = client.get_run(again["mlflow_run_id"]).data.tags
    assert tags["gan_cached_per_generator"] == "true,true" and _models(tmp_path) == first
    assert again["arms"] == summary["arms"]
    more = augmentation_flow(_cfg(tmp_path, gan_seeds=3))
    assert sorted(started) == [0, 1, 2]  # the flow itself starts the fit nobody started
    tags = client.get_run(more["mlflow_run_id"]).data.tags
    assert tags["gan_cached_per_generator"] == "true,true,false"
    now = _models(tmp_path)
    assert len(now) == 3 and {k: now[k] for k in first} == first
    assert more["generator_of_seed"] == [0, 1, 2]


def test_a_run_interrupted_before_its_flow_leaves_no_fit_running(tmp_path, mlflow_tmp):
    from augment.config import build_config
    from augment.experiment.preflight import preflight
    from flows import generators

    cfg = _cfg(tmp_path, gan_seeds=2).model_dump()
    cfg["gan"]["epochs"] = 100_000  # far longer than the test: the fits must be stopped
    prepared = preflight(build_config(cfg))
    with pytest.raises(KeyboardInterrupt):
        with generators.fitting_early(prepared) as started:
            early = dict(started)
            raise KeyboardInterrupt
    assert len(early) == 2
    assert all(not fit._proc.is_alive() for fit in early.values())
    assert _models(tmp_path) == {}
