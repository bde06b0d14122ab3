"""Integrity of the weights files augment writes (issue 26, item 4): every file records the
SHA-256 of its contents and loading verifies it; the logged model's metadata is checked against
a schema before use; the generator's class column never collides with a feature column."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import yaml

from augment import load_dataset
from augment.exceptions import ConfigError, IntegrityError
from augment.gan import TabularCGAN, TabularGANConfig, load_model, save_model

CFG = TabularGANConfig(epochs=1, batch_size=64, hidden=16)


def _tensors(obj) -> list[torch.Tensor]:
    """Every tensor in a loaded payload (nested dicts and lists)."""
    if isinstance(obj, torch.Tensor):
        return [obj]
    if isinstance(obj, dict):
        return [t for v in obj.values() for t in _tensors(v)]
    if isinstance(obj, list | tuple):
        return [t for v in obj for t in _tensors(v)]
    return []


def flip_weight_bytes(path: Path, n: int = 64) -> None:
    """Invert ``n`` bytes inside the largest tensor's data: the zip's CRCs no longer match, yet
    ``torch.load(weights_only=True)`` still loads it (it does not check them)."""
    payload = torch.load(path, map_location="cpu", weights_only=True)
    biggest = max(_tensors(payload), key=lambda t: t.numel() * t.element_size())
    raw = bytearray(path.read_bytes())
    at = bytes(raw).find(biggest.contiguous().numpy().tobytes())
    assert at >= 0 and biggest.numel() * biggest.element_size() >= n
    for i in range(at, at + n):
        raw[i] ^= 0xFF
    path.write_bytes(bytes(raw))
    torch.load(path, map_location="cpu", weights_only=True)  # the premise: it loads regardless


@pytest.fixture
def wine_gan(one_thread) -> tuple[TabularCGAN, list[str]]:
    data = load_dataset("builtin:wine")
    return TabularCGAN(CFG, random_state=0, progress=False).fit(data.X, data.y), data.class_names


# --- the weights file of a fitted GAN ----------------------------------------------------------


def test_flipped_bytes_in_a_model_file_fail_its_sha256(tmp_path, wine_gan):
    path = save_model(wine_gan[0], tmp_path / "m.pt")
    load_model(path)  # intact: loads
    flip_weight_bytes(path)
    with pytest.raises(IntegrityError, match=r"m\.pt: .*SHA-256") as err:
        load_model(path)
    assert "\n" not in str(err.value)


def test_a_model_file_without_a_digest_is_unverified(tmp_path, wine_gan):
    from augment.gan.persist import model_payload

    path = tmp_path / "old.pt"
    torch.save(model_payload(wine_gan[0]), path)  # as written before digests were recorded
    payload = torch.load(path, weights_only=True)
    payload.pop("sha256", None)
    torch.save(payload, path)
    with pytest.raises(IntegrityError, match=r"old\.pt: .*no SHA-256"):
        load_model(path)


def test_checkpoint_with_flipped_bytes_is_trained_afresh(tmp_path, caplog, one_thread):
    data = load_dataset("builtin:wine")
    ckpt = tmp_path / "c.pt"

    def fit(epochs: int) -> TabularCGAN:
        cfg = TabularGANConfig(epochs=epochs, batch_size=64, hidden=16)
        gan = TabularCGAN(cfg, random_state=0, progress=False)
        return gan.fit(data.X, data.y, checkpoint=ckpt, checkpoint_every=1)

    fit(1)
    flip_weight_bytes(ckpt)
    with caplog.at_level(logging.INFO, logger="augment.gan.checkpoint"):
        gan = fit(2)
    assert re.search(r"c\.pt: .*SHA-256.*; starting afresh", caplog.text), caplog.text
    assert "resumed from checkpoint" not in caplog.text
    assert [r["epoch"] for r in gan.history.rows] == [1, 2]
    assert torch.load(ckpt, weights_only=True)["epoch"] == 2  # overwritten with a sound one
    from augment.gan.checkpoint import read_checkpoint

    assert read_checkpoint(ckpt)["epoch"] == 2


def test_monitor_state_with_flipped_bytes_is_not_used(tmp_path, caplog):
    from augment.gan.tabular_monitor import TabularMonitor

    real = pd.DataFrame({"a": np.arange(40.0)})
    codes = np.zeros(40, dtype=np.int64)
    best = tmp_path / "best.pt"

    def monitor() -> TabularMonitor:
        return TabularMonitor(
            real, codes, lambda G, c, s: real, [], 1, 5, 3, 0, best_path=best, key="k"
        )

    G = torch.nn.Linear(64, 64)
    first = monitor()
    first(1, {}, G)  # a check: the state file holds the best weights
    assert best.is_file()
    flip_weight_bytes(best)
    again = monitor()
    with caplog.at_level(logging.WARNING, logger="augment.gan.tabular_monitor"):
        again(2, {}, G)  # resumed at epoch 2: reads the state file
    assert re.search(r"best\.pt: .*SHA-256", caplog.text), caplog.text
    assert again.checks == [(2, again.checks[0][1])]  # the damaged file's check was not taken


# --- the logged generator -----------------------------------------------------------------------


def _log(tmp_path: Path, gan, class_names: list[str], label: str) -> str:
    from mlflow.tracking import MlflowClient

    from augment.tracking import Tracker, load_tracking_config

    src = tmp_path / "src"
    src.mkdir()
    path = save_model(gan, src / "g.pt")
    tracker = Tracker(load_tracking_config())
    run_id = tracker.start_parent("t", {}, {})
    uri = tracker.log_generator(run_id, path, class_names, label)
    MlflowClient(tracker.cfg.tracking_uri).set_terminated(run_id)
    return uri


def _logged_file(tmp_path: Path, name: str) -> Path:
    (found,) = [p for p in tmp_path.rglob(name) if "src" not in p.parts]
    return found


def _generate(tmp_path: Path, uri: str, capsys) -> tuple[int, str]:
    """``augment generate``: its exit code and what it said on stderr."""
    from augment.cli import main

    code = main(["generate", uri, "--n", "3", "--out", str(tmp_path / "s.csv")])
    return code, capsys.readouterr().err


def test_logged_generator_with_flipped_bytes_fails_naming_the_file(
    tmp_path, mlflow_tmp, wine_gan, capsys
):
    from augment.tracking import load_generator, load_tracking_config

    uri = _log(tmp_path, *wine_gan, "class")
    weights = _logged_file(tmp_path, "g.pt")
    mlmodel = yaml.safe_load(_logged_file(tmp_path, "MLmodel").read_text())
    assert re.fullmatch(r"[0-9a-f]{64}", mlmodel["metadata"]["sha256"])
    flip_weight_bytes(weights)
    with pytest.raises(IntegrityError, match=re.escape(uri) + r" \(.*g\.pt\)") as err:
        load_generator(uri, load_tracking_config())
    assert not isinstance(err.value, ConfigError)  # not the user's mistake: exit 1, not 2
    code, said = _generate(tmp_path, uri, capsys)
    # (MLflow's INFO lines from logging the model earlier in this process may show too)
    lines = [line for line in said.splitlines() if line.startswith("augment:")]
    assert code == 1 and len(lines) == 1 and "Traceback" not in said, (code, said)
    assert lines[0].startswith("augment: failed: IntegrityError:") and "g.pt" in lines[0], said
    assert not (tmp_path / "s.csv").exists()


def _edit_metadata(tmp_path: Path, **changes) -> None:
    mlmodel = _logged_file(tmp_path, "MLmodel")
    spec = yaml.safe_load(mlmodel.read_text())
    spec["metadata"].update(changes)
    mlmodel.write_text(yaml.safe_dump(spec))


@pytest.mark.parametrize(
    ("key", "changes"),
    [
        ("class_names", {"class_names": []}),
        ("class_names", {"class_names": ["class_0", "class_0", "class_2"]}),
        ("class_names", {"class_names": ["class_0", "", "class_2"]}),
        ("class_names", {"class_names": ["class_0", 1, "class_2"]}),
        ("class_names", {"class_names": "class_0"}),
        ("class_names", {"class_names": ["class_0", "class_1"]}),  # the generator knows 3
        ("kind", {"kind": "video"}),
        ("image_shape", {"kind": "image"}),  # an image generator needs its shape
        ("kind", {"kind": "image", "image_shape": [1, 8, 8]}),  # the weights are a table's
        ("image_shape", {"image_shape": [1, -2, 3]}),
        ("label", {"label": 5}),
    ],
)
def test_logged_metadata_is_validated_before_use(tmp_path, mlflow_tmp, wine_gan, key, changes):
    from augment.tracking import load_generator, load_tracking_config

    uri = _log(tmp_path, *wine_gan, "class")
    _edit_metadata(tmp_path, **changes)
    with pytest.raises(ConfigError, match=re.escape(uri) + f".*{key}"):
        load_generator(uri, load_tracking_config())


def test_odd_class_names_are_valid_metadata(tmp_path, mlflow_tmp, wine_gan):
    from augment.tracking import load_generator, load_tracking_config

    names = ["../../ESCAPED", "/abs/path", "plain"]
    uri = _log(tmp_path, wine_gan[0], names, "class")
    model, meta = load_generator(uri, load_tracking_config())
    assert meta["class_names"] == names
    out = model.predict(pd.DataFrame({"class": names, "n": [1, 1, 1]}))
    assert out["class"].tolist() == names


def test_image_metadata_shape_is_validated(tmp_path, mlflow_tmp, one_thread):
    from augment.gan import ImageCGAN, ImageGANConfig
    from augment.tracking import load_generator, load_tracking_config

    X = np.random.default_rng(0).random((16, 1, 8, 8), dtype=np.float32)
    gan = ImageCGAN(ImageGANConfig(epochs=1, batch_size=8, channels=16), 0, progress=False)
    uri = _log(tmp_path, gan.fit(X, np.repeat([0, 1], 8)), ["a", "b"], "label")
    _, meta = load_generator(uri, load_tracking_config())
    assert meta["kind"] == "image" and meta["image_shape"] == [1, 8, 8]
    _edit_metadata(tmp_path, image_shape=[1, 8])
    with pytest.raises(ConfigError, match=re.escape(uri) + ".*image_shape"):
        load_generator(uri, load_tracking_config())


# --- a feature column named like the class column ---------------------------------------------


def test_feature_named_class_generates_with_the_label_column(tmp_path, mlflow_tmp, capsys):
    from augment.tracking import load_generator, load_tracking_config

    rng = np.random.default_rng(0)
    n = 90
    table = pd.DataFrame(
        {
            "x1": rng.normal(size=n),
            "class": rng.choice(["red", "blue"], n),  # a feature, literally named "class"
            "target": np.where(rng.random(n) < 0.7, "no", "yes"),
        }
    )
    csv = tmp_path / "t.csv"
    table.to_csv(csv, index=False)
    data = load_dataset(csv, label="target")
    gan = TabularCGAN(CFG, data.discrete, 0, progress=False).fit(data.X, data.y)
    uri = _log(tmp_path, gan, data.class_names, "target")

    model, meta = load_generator(uri, load_tracking_config())
    out = model.predict(pd.DataFrame({"class": data.class_names, "n": [2, 3]}))
    assert out["target"].tolist() == ["no"] * 2 + ["yes"] * 3
    assert set(out["class"]) <= {"red", "blue"}  # the feature, untouched

    code, said = _generate(tmp_path, uri, capsys)
    assert code == 0, said
    written = pd.read_csv(tmp_path / "s.csv")
    assert {"class", "target", "x1"} <= set(written.columns)
    assert written["target"].value_counts().to_dict() == {"no": 3, "yes": 3}
    assert set(written["class"]) <= {"red", "blue"}


def test_generator_meta_file_must_agree_with_the_mlmodel(tmp_path, mlflow_tmp, wine_gan):
    from augment.tracking import load_generator, load_tracking_config

    uri = _log(tmp_path, *wine_gan, "class")
    meta_file = _logged_file(tmp_path, "generator_meta.json")
    meta = json.loads(meta_file.read_text())
    meta["label"] = "other"
    meta_file.write_text(json.dumps(meta))
    with pytest.raises(ConfigError, match=re.escape(uri) + ".*label"):
        load_generator(uri, load_tracking_config())


# The flow's GAN cache (flipped bytes, a truncated file, planted pickles) is tested in
# test_reliability.py: `test_a_tampered_cache_runs_nothing_and_is_trained_again`.
