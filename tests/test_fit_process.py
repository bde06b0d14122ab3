"""A GAN fitted in a child process (`augment.experiment.fit_process`): the same weights as in
this process, its epochs relayed in order, its errors raised here with their type, and stopped
on demand."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
import torch

from augment.config import GANConfig
from augment.data import LabeledDataset
from augment.exceptions import InvalidDataError
from augment.experiment import fit_generator
from augment.experiment.fit_process import FitProcess, FitStopped
from augment.gan.persist import model_payload

pytestmark = pytest.mark.usefixtures("one_thread")


def test_same_weights_as_a_fit_in_this_process_and_every_epoch_relayed(wine_splits):
    gan = GANConfig(epochs=3, batch_size=32, seed=5)
    rows: list[tuple[int, dict]] = []
    payload = FitProcess(wine_splits.train, gan).wait(lambda e, r: rows.append((e, r)))
    here = model_payload(fit_generator(wine_splits.train, gan, progress=False))
    assert payload["kind"] == here["kind"] == "tabular" and payload["meta"] == here["meta"]
    assert payload["generator"].keys() == here["generator"].keys()
    for name, tensor in here["generator"].items():
        assert torch.equal(payload["generator"][name], tensor), name
    assert [e for e, _ in rows] == [1, 2, 3]
    assert {"d_loss", "g_loss"} <= rows[-1][1].keys()


def test_images_send_their_sample_grids_as_pngs(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.random((40, 1, 8, 8)).astype(np.float32)
    y = np.repeat([0, 1], 20)
    train = LabeledDataset(X=X, y=y, kind="image", class_names=["a", "b"], name="tiny")
    grids: list[tuple[int, bytes]] = []
    fit = FitProcess(train, GANConfig(epochs=2, eval_every=1, seed=0), grid_every=2)
    fit.wait(on_grid=lambda e, png: grids.append((e, png.read_bytes())))
    assert [e for e, _ in grids] == [2]
    assert grids[0][1].startswith(b"\x89PNG")
    assert fit.grid_dir is not None and not (tmp_path / fit.grid_dir).exists()  # cleaned up


def test_the_childs_error_is_raised_here_with_its_type():
    X = np.full((20, 1, 8, 8), 2.0, dtype=np.float32)  # images must be in [0, 1]
    y = np.repeat([0, 1], 10)
    train = LabeledDataset(X=X, y=y, kind="image", class_names=["a", "b"], name="bad")
    with pytest.raises(InvalidDataError, match=r"in \[0, 1\]"):
        FitProcess(train, GANConfig(epochs=1)).wait()


def test_stop_ends_a_long_fit_at_once(wine_splits):
    fit = FitProcess(wine_splits.train, GANConfig(epochs=100_000, batch_size=32))
    first = threading.Event()
    started = time.monotonic()

    def on_epoch(epoch, row):
        if not first.is_set():
            first.set()
            threading.Thread(target=fit.stop).start()

    with pytest.raises(FitStopped, match="stopped"):
        fit.wait(on_epoch)
    assert first.is_set() and time.monotonic() - started < 60
    assert not fit._proc.is_alive()


_UNGUARDED = """
from augment import load_dataset
from augment.config import GANConfig
from augment.data import make_splits
from augment.experiment.fit_process import FitProcess

print("script body runs", flush=True)  # no `if __name__ == "__main__":` guard
train = make_splits(load_dataset("builtin:wine"), 0.3, 0, None, 0.2).train
payload = FitProcess(train, GANConfig(epochs=1, batch_size=32)).wait()
print("fitted", payload["kind"], flush=True)
"""


def test_a_script_without_a_main_guard_is_not_run_again_in_the_child(tmp_path):
    import subprocess
    import sys

    script = tmp_path / "my_run.py"
    script.write_text(_UNGUARDED)
    r = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, cwd=tmp_path, timeout=300
    )
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.splitlines() == ["script body runs", "fitted tabular"], r.stdout
