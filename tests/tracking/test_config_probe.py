"""`augment.tracking.config` and `.probe`, against real files, folders and a closed port."""

from __future__ import annotations

import os

import pytest

from augment.exceptions import ConfigError
from augment.tracking.config import load_tracking_config
from augment.tracking.probe import check_reachable


def test_local_mlflow_yml_then_env_override(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    assert load_tracking_config().experiment == "augment"  # the packaged default
    (tmp_path / "mlflow.yml").write_text("experiment: mine\ntags: {team: x}\n")
    cfg = load_tracking_config()
    # a relative store is resolved once, against the working directory, to an absolute path
    assert (cfg.experiment, cfg.tags, cfg.tracking_uri) == (
        "mine",
        {"team": "x"},
        f"sqlite:///{tmp_path.resolve() / 'mlflow.db'}",
    )
    assert cfg.source == str((tmp_path / "mlflow.yml").resolve())
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "sqlite:///elsewhere.db")
    env = load_tracking_config()
    assert env.tracking_uri == f"sqlite:///{tmp_path.resolve() / 'elsewhere.db'}"
    assert env.source == "MLFLOW_TRACKING_URI"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:5000")
    assert load_tracking_config().tracking_uri == "http://127.0.0.1:5000"  # servers as given


def test_read_commands_never_create_a_store(tmp_path, monkeypatch):
    from augment.cli import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    for argv in (["compare"], ["generate", "runs:/abc/generator", "--n", "1", "--out", "g.csv"]):
        assert main(argv) == 2
    assert list(tmp_path.iterdir()) == []  # no empty mlflow.db left behind


def test_unknown_key_and_missing_file_are_config_errors(tmp_path):
    bad = tmp_path / "t.yml"
    bad.write_text("experimnt: x\n")
    with pytest.raises(ConfigError, match=r"unknown key\(s\) \['experimnt'\]"):
        load_tracking_config(bad)
    with pytest.raises(ConfigError, match="does not exist"):
        load_tracking_config(tmp_path / "nope.yml")


def test_probe_checks_a_sqlite_folder_without_creating_anything(tmp_path):
    cfg = load_tracking_config()
    from dataclasses import replace

    check_reachable(replace(cfg, tracking_uri=f"sqlite:///{tmp_path}/new/sub/m.db"))
    assert os.listdir(tmp_path) == []  # nothing created by the probe
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(ConfigError, match="is not writable"):
        check_reachable(replace(cfg, tracking_uri=f"sqlite:///{blocker}/m.db"))


def test_probe_of_a_closed_port_fails_fast(tmp_path):
    from dataclasses import replace

    cfg = replace(load_tracking_config(), tracking_uri="http://127.0.0.1:9")
    with pytest.raises(ConfigError, match="unreachable \\(connection refused\\)"):
        check_reachable(cfg, timeout_s=2)
