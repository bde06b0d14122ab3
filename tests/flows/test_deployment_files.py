"""prefect.yaml declares the deployment `augment serve flows/nightly.yml` serves."""

from pathlib import Path

import pytest
import yaml

from augment.config import OrchestrationConfig, build_config, load_config
from flows.runners import make_task_runner

ROOT = Path(__file__).resolve().parents[2]


def test_prefect_yaml_matches_serve_config_and_entrypoint():
    spec = yaml.safe_load((ROOT / "prefect.yaml").read_text())
    (dep,) = spec["deployments"]
    assert build_config(dep["parameters"]["config"]) == load_config(ROOT / "flows/nightly.yml")
    path, name = dep["entrypoint"].split(":")
    assert (ROOT / path).is_file() and f"def {name}(" in (ROOT / path).read_text()


def test_task_runners_from_config():
    from prefect.task_runners import ThreadPoolTaskRunner

    DaskTaskRunner = pytest.importorskip("prefect_dask").DaskTaskRunner  # the `dask` extra

    assert isinstance(make_task_runner(OrchestrationConfig()), ThreadPoolTaskRunner)
    dask = make_task_runner(OrchestrationConfig(runner="dask", dask_address="tcp://1.2.3.4:8786"))
    assert isinstance(dask, DaskTaskRunner)
