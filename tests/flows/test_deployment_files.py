"""prefect.yaml declares the deployment `augment serve flows/nightly.yml` serves; the config picks
the task runner (the thread pool needs nothing extra, Dask the `dask` extra)."""

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


def test_thread_pool_runner_from_config():
    from prefect.task_runners import ThreadPoolTaskRunner

    assert isinstance(make_task_runner(OrchestrationConfig()), ThreadPoolTaskRunner)
    runner = make_task_runner(OrchestrationConfig(max_workers=3))
    assert isinstance(runner, ThreadPoolTaskRunner) and runner._max_workers == 3


def test_dask_runner_from_config():
    DaskTaskRunner = pytest.importorskip("prefect_dask").DaskTaskRunner  # the `dask` extra

    dask = make_task_runner(OrchestrationConfig(runner="dask", dask_address="tcp://1.2.3.4:8786"))
    assert isinstance(dask, DaskTaskRunner)


def test_dask_runner_without_the_extra_names_it(monkeypatch):
    import sys

    from augment.exceptions import ConfigError

    monkeypatch.setitem(sys.modules, "prefect_dask", None)  # as if the extra were not installed
    with pytest.raises(ConfigError, match=r"needs prefect-dask: pip install 'augment\[dask\]'"):
        make_task_runner(OrchestrationConfig(runner="dask"))
