"""Resumable GAN training: kill -9 mid-training, rerun, same end state; unsafe files refused."""

from __future__ import annotations

import os
import pickle
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from augment import InvalidDataError, load_dataset
from augment.gan import TabularCGAN, TabularGANConfig

ROOT = Path(__file__).resolve().parents[1]
EPOCHS = 12
CFG = TabularGANConfig(epochs=EPOCHS, batch_size=64, hidden=16)

SCRIPT = """
import json, logging, sys, time
logging.basicConfig(level=logging.INFO, stream=sys.stdout, format="%(name)s: %(message)s")
from augment import load_dataset
from augment.gan import TabularCGAN, TabularGANConfig
ckpt, out, slow = sys.argv[1], sys.argv[2], sys.argv[3] == "slow"
data = load_dataset("builtin:wine")

def on_epoch(epoch, row):
    print(f"epoch {epoch} done", flush=True)
    if slow:
        time.sleep(0.4)  # leave time to kill it between two checkpoints

gan = TabularCGAN(TabularGANConfig(epochs=EPOCHS, batch_size=64, hidden=16), random_state=0,
                  progress=False)
gan.fit(data.X, data.y, callback=on_epoch, checkpoint=ckpt, checkpoint_every=2)
with open(out, "w") as f:
    json.dump(gan.history.rows, f)
""".replace("EPOCHS", str(EPOCHS))


def _start(script: Path, ckpt: Path, out: Path, mode: str) -> subprocess.Popen:
    # one thread: on a busy 2-core box, torch's thread pool spins and runs 10-50x slower
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    return subprocess.Popen(
        [sys.executable, str(script), str(ckpt), str(out), mode],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _same_rows(a: list[dict], b: list[dict]) -> bool:
    return len(a) == len(b) and all(
        x == pytest.approx(y, rel=1e-6) for x, y in zip(a, b, strict=True)
    )


@pytest.mark.usefixtures("one_thread")
def test_sigkill_then_resume_continues_from_checkpoint(tmp_path):
    import json

    script = tmp_path / "train.py"
    script.write_text(SCRIPT)
    ckpt, out = tmp_path / "gan.ckpt", tmp_path / "history.json"

    proc = _start(script, ckpt, out, "slow")
    deadline = time.monotonic() + 180
    while not ckpt.exists():
        assert proc.poll() is None, proc.communicate()[0]
        assert time.monotonic() < deadline, "no checkpoint written in time"
        time.sleep(0.05)
    time.sleep(0.2)  # inside a later epoch now
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL  # killed, not finished
    assert not out.exists()

    proc = _start(script, ckpt, out, "fast")
    log, _ = proc.communicate(timeout=300)
    assert proc.returncode == 0, log
    m = re.search(rf"resumed from checkpoint .*gan.ckpt at epoch (\d+) of {EPOCHS}", log)
    assert m, log
    resumed_at = int(m.group(1))
    assert 2 <= resumed_at < EPOCHS and resumed_at % 2 == 0
    rows = json.loads(out.read_text())
    assert [r["epoch"] for r in rows] == list(range(1, EPOCHS + 1))  # ends at the same count
    # it resumed rather than restarted: only the epochs after the checkpoint were trained again
    trained = [int(e) for e in re.findall(r"epoch (\d+) done", log)]
    assert trained == list(range(1, EPOCHS + 1))  # replayed 1..k to the callback, then k+1..
    assert torch.load(ckpt, weights_only=True)["epoch"] == EPOCHS

    # and the resumed training is the uninterrupted one, number for number
    data = load_dataset("builtin:wine")
    straight = TabularCGAN(CFG, random_state=0, progress=False).fit(data.X, data.y)
    assert _same_rows(rows, straight.history.rows)


@pytest.mark.usefixtures("one_thread")
def test_gan_config_checkpoint_dir_reaches_the_fit(tmp_path):
    from augment.config import build_config
    from augment.data import make_splits
    from augment.experiment import fit_generator

    folder = tmp_path / "ck"
    cfg = build_config({"gan": {"epochs": 1, "checkpoint_dir": str(folder), "checkpoint_every": 1}})
    splits = make_splits(load_dataset("builtin:wine"), 0.3, 0, [], 1.0)
    fit_generator(splits.train, cfg.gan, progress=False)
    (written,) = folder.iterdir()
    assert re.fullmatch(r"tabular-cgan-[0-9a-f]{16}-seed0\.pt", written.name)
    assert torch.load(written, weights_only=True)["epoch"] == 1


@pytest.mark.usefixtures("one_thread")
def test_image_gan_resume_equals_uninterrupted(tmp_path):
    import numpy as np

    from augment.gan import ImageCGAN, ImageGANConfig

    data = load_dataset("builtin:digits").subset(np.arange(96))
    cfg = ImageGANConfig(epochs=2, batch_size=32, channels=16)
    straight = ImageCGAN(cfg, random_state=0, progress=False).fit(data.X, data.y)
    ckpt = tmp_path / "img.pt"
    first = ImageGANConfig(epochs=1, batch_size=32, channels=16)
    ImageCGAN(first, random_state=0, progress=False).fit(data.X, data.y, checkpoint=ckpt)
    resumed = ImageCGAN(cfg, random_state=0, progress=False).fit(data.X, data.y, checkpoint=ckpt)
    assert _same_rows(resumed.history.rows, straight.history.rows)
    np.testing.assert_array_equal(
        resumed.sample(4, 3, random_state=1), straight.sample(4, 3, random_state=1)
    )


def _fit(ckpt: Path, epochs: int = 2, seed: int = 0) -> TabularCGAN:
    data = load_dataset("builtin:wine")
    cfg = TabularGANConfig(epochs=epochs, batch_size=64, hidden=16)
    return TabularCGAN(cfg, random_state=seed, progress=False).fit(
        data.X, data.y, checkpoint=ckpt, checkpoint_every=1
    )


@pytest.mark.usefixtures("one_thread")
def test_checkpoint_written_atomically_and_extends_training(tmp_path, caplog):
    ckpt = tmp_path / "c.pt"
    _fit(ckpt, epochs=2)
    assert ckpt.is_file() and not list(tmp_path.glob(".*"))  # temp file renamed away
    with caplog.at_level("INFO", logger="augment.gan.checkpoint"):
        gan = _fit(ckpt, epochs=3)  # more epochs: continues from 2
    assert "at epoch 2 of 3" in caplog.text
    assert [r["epoch"] for r in gan.history.rows] == [1, 2, 3]


def test_checkpoint_of_other_seed_is_ignored(tmp_path, caplog):
    ckpt = tmp_path / "c.pt"
    _fit(ckpt, seed=0)
    with caplog.at_level("WARNING", logger="augment.gan.checkpoint"):
        gan = _fit(ckpt, seed=1)
    assert "checkpoint of another data/config/seed; starting afresh" in caplog.text
    assert len(gan.history.rows) == 2


class _Evil:
    def __reduce__(self):
        return (os.system, ("touch pwned",))


def _damage(kind: str, ckpt: Path) -> None:
    if kind == "garbage":
        ckpt.write_bytes(b"\x00garbage, not a torch file")
    elif kind == "pickled_code":
        ckpt.write_bytes(pickle.dumps({"format": _Evil()}))
    elif kind == "foreign_format":
        torch.save({"format": "something-else"}, ckpt)
    else:  # a real checkpoint whose weights were swapped, fingerprint kept, digest redone
        from augment.torchutil import seal

        _fit(ckpt)
        payload = torch.load(ckpt, weights_only=True)
        payload["G"] = {"nonsense": torch.zeros(1)}
        torch.save(seal(payload), ckpt)


@pytest.mark.parametrize(
    ("kind", "needle"),
    [
        ("garbage", "not a loadable augment checkpoint"),
        ("pickled_code", "not a loadable augment checkpoint (Weights only load failed"),
        ("foreign_format", "not an augment checkpoint (expected format augment-ckpt/1)"),
        ("damaged_weights", "checkpoint is damaged (RuntimeError"),
    ],
)
def test_tampered_checkpoint_fails_clearly(tmp_path, monkeypatch, kind, needle):
    monkeypatch.chdir(tmp_path)
    ckpt = tmp_path / "c.pt"
    _damage(kind, ckpt)
    with pytest.raises(InvalidDataError, match=re.escape(needle)):
        _fit(ckpt)
    assert not (tmp_path / "pwned").exists()  # the pickled code never ran


def test_a_resumed_fit_says_so_in_one_line_even_with_no_logging_set_up(tmp_path):
    """Fits run in child processes whose logging nobody configures (the flow's fit processes):
    a resume is said there too, one line naming the checkpoint and the epoch; a fresh fit
    says nothing."""
    script = (
        "import sys\n"
        "from augment import load_dataset\n"
        "from augment.gan import TabularCGAN, TabularGANConfig\n"
        "data = load_dataset('builtin:wine')\n"
        "for epochs in (1, 2):\n"
        "    print(f'fit {epochs}', file=sys.stderr, flush=True)\n"
        "    cfg = TabularGANConfig(epochs=epochs, batch_size=64, hidden=16)\n"
        "    TabularCGAN(cfg, random_state=0, progress=False).fit(\n"
        "        data.X, data.y, checkpoint=sys.argv[1], checkpoint_every=1)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    ckpt = tmp_path / "tabular-cgan-0123-seed0.pt"
    proc = subprocess.run(
        [sys.executable, "-c", script, str(ckpt)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert lines == ["fit 1", "fit 2", "augment: resumed tabular-cgan-0123-seed0 from epoch 1"]
