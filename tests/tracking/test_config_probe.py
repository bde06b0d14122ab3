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
    assert (cfg.experiment, cfg.tags, cfg.tracking_uri) == (
        "mine",
        {"team": "x"},
        "sqlite:///mlflow.db",
    )
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "sqlite:///elsewhere.db")
    assert load_tracking_config().tracking_uri == "sqlite:///elsewhere.db"


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
