"""`augment.export`: tables and image folders written atomically, flagged synthetic, never
replacing an existing output without ``force``."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from augment.exceptions import ConfigError
from augment.export import (
    check_folder_target,
    check_table_target,
    write_image_folder,
    write_table,
)


def _frame() -> pd.DataFrame:
    return pd.DataFrame({"x": [1.5, -2.0], "city": ["Lyon", "Nice"], "n": [3, 4]})


@pytest.mark.parametrize("name", ["out.csv", "OUT.CSV", "out.parquet", "out.pq"])
def test_table_round_trip_adds_is_synthetic_and_keeps_values(tmp_path, name):
    path = write_table(_frame(), tmp_path / name)
    assert path == tmp_path / name
    back = pd.read_csv(path) if name.lower().endswith(".csv") else pd.read_parquet(path)
    assert list(back.columns) == ["x", "city", "n", "is_synthetic"]
    assert back["is_synthetic"].tolist() == [True, True]
    pd.testing.assert_frame_equal(back.drop(columns="is_synthetic"), _frame())
    assert [p.name for p in tmp_path.iterdir()] == [name]  # no temp file left beside it


def test_parquet_suffix_writes_parquet_not_csv(tmp_path):
    path = write_table(_frame(), tmp_path / "out.parquet")
    assert path.read_bytes()[:4] == b"PAR1"


def test_table_input_frame_is_not_modified(tmp_path):
    df = _frame()
    write_table(df, tmp_path / "out.csv")
    assert "is_synthetic" not in df.columns


def test_existing_table_is_kept_without_force_and_replaced_with_it(tmp_path):
    path = tmp_path / "out.csv"
    path.write_text("old\n")
    with pytest.raises(ConfigError, match=r"already exists; pass --force"):
        write_table(_frame(), path)
    assert path.read_text() == "old\n"
    write_table(_frame(), path, force=True)
    assert pd.read_csv(path)["city"].tolist() == ["Lyon", "Nice"]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("out.txt", r"unsupported suffix '\.txt' for a table; allowed: \.csv, \.parquet, \.pq"),
        ("out", r"unsupported suffix ''"),
    ],
)
def test_table_target_with_unknown_suffix_is_refused(tmp_path, name, message):
    with pytest.raises(ConfigError, match=message):
        check_table_target(tmp_path / name)


def test_table_target_that_is_a_directory_is_refused_even_with_force(tmp_path):
    (tmp_path / "d.csv").mkdir()
    with pytest.raises(ConfigError, match=r"is a directory"):
        check_table_target(tmp_path / "d.csv", force=True)


def test_table_target_in_a_missing_folder_is_named(tmp_path):
    with pytest.raises(ConfigError, match=r"out.csv: its folder .*nowhere does not exist"):
        check_table_target(tmp_path / "nowhere" / "out.csv")


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write into a read-only folder")
def test_table_target_in_a_read_only_folder_is_named(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        with pytest.raises(ConfigError, match=r"is not writable"):
            check_table_target(ro / "out.csv")
    finally:
        ro.chmod(0o700)


def test_folder_target_refuses_a_file_and_a_table_name(tmp_path):
    (tmp_path / "f").write_text("x")
    with pytest.raises(ConfigError, match=r"is a file; images are written to a folder"):
        check_folder_target(tmp_path / "f", force=True)
    with pytest.raises(ConfigError, match=r"not a \.csv file"):
        check_folder_target(tmp_path / "images.csv")
    assert check_folder_target(tmp_path / "images") == tmp_path / "images"


def test_image_folder_has_one_png_per_image_per_class_and_a_manifest(tmp_path):
    # (N, C, H, W) in [0, 1]: gray images of constant levels, one RGB check below
    levels = np.array([0.0, 0.5, 1.0, 0.2])
    images = np.broadcast_to(levels[:, None, None, None], (4, 1, 3, 2)).copy()
    root = write_image_folder(images, ["cat", "dog", "cat", "cat"], tmp_path / "out")
    manifest = pd.read_csv(root / "manifest.csv")
    assert manifest.to_dict("list") == {
        "file": [
            "cat/synthetic_000000.png",
            "dog/synthetic_000000.png",
            "cat/synthetic_000001.png",
            "cat/synthetic_000002.png",
        ],
        "class": ["cat", "dog", "cat", "cat"],
        "is_synthetic": [True, True, True, True],
    }
    pixels = [np.asarray(Image.open(root / f)) for f in manifest["file"]]
    assert [p.shape for p in pixels] == [(3, 2)] * 4  # (H, W): gray saved as one channel
    assert [int(p[0, 0]) for p in pixels] == [0, 128, 255, 51]  # rounded, not truncated
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no temp folder left


def test_rgb_images_keep_channel_order_and_out_of_range_values_are_clipped(tmp_path):
    img = np.zeros((1, 3, 2, 2))
    img[0, 0] = 1.0  # red
    img[0, 2] = -0.5  # blue below 0 -> 0
    img[0, 1, 0, 0] = 1.7  # green above 1 -> 255
    root = write_image_folder(img, ["a"], tmp_path / "out")
    arr = np.asarray(Image.open(root / "a" / "synthetic_000000.png"))
    assert arr.shape == (2, 2, 3)  # (H, W, C)
    assert arr[1, 1].tolist() == [255, 0, 0]
    assert arr[0, 0].tolist() == [255, 255, 0]


def test_existing_image_folder_kept_without_force_and_replaced_whole_with_it(tmp_path):
    root = tmp_path / "out"
    (root / "old_class").mkdir(parents=True)
    (root / "old_class" / "x.png").write_bytes(b"old")
    images = np.zeros((1, 1, 2, 2))
    with pytest.raises(ConfigError, match=r"already exists"):
        write_image_folder(images, ["a"], root)
    assert (root / "old_class" / "x.png").read_bytes() == b"old"
    write_image_folder(images, ["a"], root, force=True)
    assert sorted(p.name for p in root.iterdir()) == ["a", "manifest.csv"]  # old files gone
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # the old copy removed too


def test_failed_image_write_leaves_the_old_folder_and_no_temp_folder(tmp_path):
    root = tmp_path / "out"
    root.mkdir()
    (root / "keep.txt").write_text("old")
    with pytest.raises(ValueError):  # more labels than images: zip(strict=True)
        write_image_folder(np.zeros((1, 1, 2, 2)), ["a", "b"], root, force=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    assert (root / "keep.txt").read_text() == "old"


@pytest.mark.parametrize(
    "label", ["../../ESCAPED", "..", "ABSOLUTE", ".hidden", "a/../../b", "Type (B)", "L" * 300]
)
def test_image_folder_labels_never_leave_the_output_folder(tmp_path, label):
    label = str(tmp_path / "abs") if label == "ABSOLUTE" else label  # an absolute path
    (tmp_path / "out").mkdir()
    root = write_image_folder(np.zeros((2, 1, 2, 2)), [label, "ok"], tmp_path / "out" / "gen")
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert written and all(p.resolve().is_relative_to(root.resolve()) for p in written)
    (folder,) = [p for p in root.iterdir() if p.is_dir() and p.name != "ok"]
    assert folder.parent == root and not folder.name.startswith(".")
    manifest = pd.read_csv(root / "manifest.csv", keep_default_na=False)
    assert manifest["class"].tolist() == [label, "ok"]  # the original, as the model knows it
    assert manifest["file"].tolist() == [
        f"{folder.name}/synthetic_000000.png",
        "ok/synthetic_000000.png",
    ]
    assert all((root / f).is_file() for f in manifest["file"])


def test_image_folders_of_classes_differing_only_by_case_are_distinct(tmp_path):
    root = write_image_folder(np.zeros((3, 1, 2, 2)), ["A", "a", "b"], tmp_path / "out")
    folders = [f.split("/")[0] for f in pd.read_csv(root / "manifest.csv")["file"]]
    assert len({f.casefold() for f in folders}) == 3  # apart on macOS / Windows too
    assert folders[2] == "b"


def test_image_folder_modes_follow_the_umask_like_its_files(tmp_path):
    old = os.umask(0o022)
    try:
        root = write_image_folder(np.zeros((1, 1, 2, 2)), ["a"], tmp_path / "out")
    finally:
        os.umask(old)
    assert (root.stat().st_mode & 0o777) == 0o755
    assert ((root / "a").stat().st_mode & 0o777) == 0o755
    assert ((root / "manifest.csv").stat().st_mode & 0o777) == 0o644
    assert ((root / "a" / "synthetic_000000.png").stat().st_mode & 0o777) == 0o644


def test_a_user_column_called_is_synthetic_is_kept(tmp_path):
    from augment.export import write_table

    df = pd.DataFrame({"is_synthetic": [False, False], "_is_synthetic": [1, 2], "y": ["a", "b"]})
    out = pd.read_csv(write_table(df, tmp_path / "gen.csv"))
    assert out["is_synthetic"].tolist() == [False, False]  # the user's values
    assert out["_is_synthetic"].tolist() == [1, 2]
    assert out["__is_synthetic"].tolist() == [True, True]  # the flag, beside them
