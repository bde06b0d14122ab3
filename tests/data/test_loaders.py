from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _images import png_folder

from augment import InvalidDataError, load_dataset


def test_csv_mixed_types(mixed_csv):
    data = load_dataset(mixed_csv, label="outcome")
    assert data.kind == "table"
    assert data.class_names == ["common", "rare"]
    assert set(data.continuous) == {"age", "income"}
    assert set(data.discrete) == {"city", "member"}
    assert "outcome" not in data.X.columns
    assert len(data) == 120


def test_parquet_roundtrip(tmp_path, mixed_csv):
    pq = tmp_path / "t.parquet"
    pd.read_csv(mixed_csv).to_parquet(pq)
    data = load_dataset(pq, label="outcome")
    assert data.X.shape == (120, 4)


def _write_images(root, sizes, mode="L"):
    """Three flat PNGs per class of the class's (H, W) size, gray or RGB."""
    rgb = mode == "RGB"
    png_folder(root, {c: [(*s, 3) if rgb else s] * 3 for c, s in sizes.items()}, step=40)


def test_image_folder_grayscale(tmp_path):
    _write_images(tmp_path, {"cat": (12, 12), "dog": (12, 12)})
    data = load_dataset(tmp_path)
    assert data.kind == "image"
    assert data.image_shape == (1, 12, 12)
    assert data.class_names == ["cat", "dog"]
    assert data.X.dtype == np.float32 and data.X.max() <= 1.0


def test_image_folder_rgb(tmp_path):
    _write_images(tmp_path, {"a": (10, 10), "b": (10, 10)}, mode="RGB")
    assert load_dataset(tmp_path).image_shape == (3, 10, 10)


@pytest.mark.parametrize("name", ["digits", "breast_cancer", "wine"])
def test_builtins(name):
    data = load_dataset(f"builtin:{name}")
    assert len(data) > 100 and data.n_classes >= 2
    assert data.demo_imbalance


def test_digits_are_images():
    assert load_dataset("builtin:digits").image_shape == (1, 8, 8)


def _csv(tmp_path, text, name="t.csv"):
    p = tmp_path / name
    p.write_text(text)
    return p


@pytest.mark.parametrize(
    ("content", "label", "match"),
    [
        ("a,b,yy\n1,2,x\n3,4,y\n", "y", r"label column 'y' not found; did you mean 'yy'"),
        ("", "y", "file is empty"),
        ("a,b,y\n", "y", "header but no rows"),
        ("a,y\n1,x\n2,x\n3,x\n", "y", "single class"),
        ("a,y\n1,x\n2,x\n3,z\n", "y", r"fewer than 2 rows.*'z'"),
        ("a,y\n1,x\n,x\n3,z\n4,z\n", "y", r"column 'a' has 1 missing"),
        ("a,y\n1,x\n2,\n3,z\n4,z\n", "y", r"label column 'y' has 1 missing"),
        ("a,y\n1,x\ninf,x\n3,z\n4,z\n", "y", r"column 'a' has 1 infinite"),
    ],
)
def test_bad_tables(tmp_path, content, label, match):
    with pytest.raises(InvalidDataError, match=match):
        load_dataset(_csv(tmp_path, content), label=label)


def test_missing_path(tmp_path):
    with pytest.raises(InvalidDataError, match="no such file"):
        load_dataset(tmp_path / "nope.csv", label="y")


def test_unsupported_suffix(tmp_path):
    with pytest.raises(InvalidDataError, match="unsupported file type '.txt'"):
        load_dataset(_csv(tmp_path, "a,y\n1,2\n", "t.txt"), label="y")


def test_unknown_builtin():
    with pytest.raises(InvalidDataError, match="allowed: builtin:digits"):
        load_dataset("builtin:mnist")


def test_mixed_image_sizes(tmp_path):
    _write_images(tmp_path, {"a": (10, 10), "b": (12, 12)})
    with pytest.raises(InvalidDataError, match="differs from"):
        load_dataset(tmp_path)


def test_folder_without_classes(tmp_path):
    with pytest.raises(InvalidDataError, match="no class subfolders"):
        load_dataset(tmp_path)


def test_corrupt_image(tmp_path):
    _write_images(tmp_path, {"a": (10, 10), "b": (10, 10)})
    (tmp_path / "a" / "bad.png").write_bytes(b"not a png")
    with pytest.raises(InvalidDataError, match="bad.png: unreadable or corrupt image"):
        load_dataset(tmp_path)


# --- labels as the user wrote them (issue 26.5) ------------------------------------------------


def _labelled_csv(tmp_path, labels: list[str], name: str = "labels.csv"):
    """A CSV of one feature and the label column ``y`` holding ``labels`` as written (3 rows
    each, so every class can be loaded)."""
    rows = [f"{i},{lab}" for i, lab in enumerate(label for label in labels for _ in range(3))]
    return _csv(tmp_path, "a,y\n" + "\n".join(rows) + "\n", name)


@pytest.mark.parametrize(
    ("labels", "names"),
    [
        (["01", "1", "a"], ["01", "1", "a"]),  # not all numbers: compared as written
        (["True", "true", "TRUE"], ["TRUE", "True", "true"]),
        (["yes", "NA", "None", "null"], ["NA", "None", "null", "yes"]),  # labels, not missing
        (["1", "nan"], ["1", "nan"]),
        (["01", "1", "2", "2"], ["1", "2"]),  # every label a number: compared as numbers
        (["2", "10", "-1"], ["-1", "2", "10"]),  # in numeric order
        (["0.5", "1.5"], ["0.5", "1.5"]),
    ],
)
def test_csv_labels_are_compared_as_written(tmp_path, labels, names):
    data = load_dataset(_labelled_csv(tmp_path, labels), label="y")
    assert data.class_names == names
    assert np.bincount(data.y).tolist() == [len(labels) // len(names) * 3] * len(names)


def test_tsv_labels_too_and_features_keep_pandas_missing_values(tmp_path):
    p = _csv(tmp_path, "a\ty\n1\tNA\n2\tNA\n3\tTrue\n4\ttrue\n5\ttrue\n6\tTrue\n", "t.tsv")
    assert load_dataset(p, label="y").class_names == ["NA", "True", "true"]
    p = _csv(tmp_path, "a,y\n1,x\nNA,x\n3,z\n4,z\n")  # a feature's NA is still missing
    with pytest.raises(InvalidDataError, match=r"column 'a' has 1 missing"):
        load_dataset(p, label="y")


@pytest.mark.parametrize("kind", ["fifo", "device", "device_link"])
def test_a_data_path_that_is_not_a_regular_file_is_named_so_and_not_read(tmp_path, kind):
    """A FIFO (a reader would block on it) or a character device (endless bytes) named as a
    table is refused for what it is, before anything reads it."""
    import os

    path = tmp_path / "t.csv"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "device_link":
        path.symlink_to("/dev/zero")
    else:
        path = Path("/dev/zero")
    if kind == "device":  # no suffix: the suffix check speaks first; name a .csv device
        (tmp_path / "z.csv").symlink_to("/dev/null")
        path = tmp_path / "z.csv"
    with pytest.raises(InvalidDataError, match=r"not a regular file") as err:
        load_dataset(path, label="y")
    assert "\n" not in str(err.value)


def test_an_image_that_is_a_fifo_is_refused_by_name_instead_of_blocking(tmp_path):
    import os

    root = png_folder(tmp_path / "imgs", {"a": [(4, 4)] * 3, "b": [(4, 4)] * 3})
    os.mkfifo(root / "b" / "9.png")  # opening it to read would wait for a writer forever
    with pytest.raises(InvalidDataError, match=r"9\.png: not a regular file"):
        load_dataset(root)
