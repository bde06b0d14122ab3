"""Atomic writes: a writer that fails halfway leaves the old file intact and no temp file."""

from __future__ import annotations

import pytest
import torch

from augment.atomic import atomic_write
from augment.gan.checkpoint import read_checkpoint, save_checkpoint


class Halfway(RuntimeError):
    pass


def _fail_halfway(tmp):
    tmp.write_bytes(b"new, half writ")
    raise Halfway


def test_failed_writer_leaves_old_file_and_no_temp(tmp_path):
    target = tmp_path / "out.json"
    target.write_text("old")
    with pytest.raises(Halfway):
        atomic_write(target, _fail_halfway)
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_writer_fills_a_temp_file_beside_the_target_then_it_replaces_it(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")
    seen = []

    def write(tmp):
        seen.append(tmp)
        assert tmp.parent == target.parent  # same folder (file system): the rename is atomic
        # hidden and named after its target: a leftover after a kill is recognisable
        assert tmp.name.startswith(".out.txt.") and tmp.name.endswith(".tmp")
        assert target.read_text() == "old"  # not touched while the new bytes are written
        tmp.write_text("new")

    assert atomic_write(target, write) == target
    assert target.read_text() == "new" and not seen[0].exists()
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_interrupted_checkpoint_save_keeps_the_previous_checkpoint(tmp_path):
    ckpt = tmp_path / "c.pt"
    save_checkpoint(ckpt, {"format": "augment-ckpt/1", "epoch": 2})
    with pytest.raises(Exception):  # noqa: B017 - pickling fails partway through the file
        save_checkpoint(ckpt, {"format": "augment-ckpt/1", "epoch": 3, "bad": lambda: None})
    assert read_checkpoint(ckpt)["epoch"] == 2
    assert torch.load(ckpt, weights_only=True)["epoch"] == 2
    assert [p.name for p in tmp_path.iterdir()] == ["c.pt"]


def test_writer_that_removed_its_temp_file_keeps_its_own_error(tmp_path):
    def write(tmp):
        tmp.unlink()
        raise Halfway

    with pytest.raises(Halfway):  # not a FileNotFoundError from the cleanup
        atomic_write(tmp_path / "out.txt", write)
    assert list(tmp_path.iterdir()) == []


def test_written_files_get_the_usual_permissions_not_mkstemps_0600(tmp_path):
    import os
    import stat

    from augment.atomic import atomic_write

    old = os.umask(0o022)
    try:
        path = atomic_write(tmp_path / "out.json", lambda tmp: tmp.write_text("{}"))
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
