"""Every kind of bad input, through the CLI: exit 2, one line naming the problem, nothing written.

"Nothing written" means no MLflow store is even created (validation runs before tracking) and
no ``--json`` file appears.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _images import png_folder

from augment.cli import main
from augment.data import load_dataset, make_splits

GOOD = "a,b,y\n" + "".join(f"{i},{i % 3},{'xz'[i % 2]}\n" for i in range(20))


def _csv(text: str | bytes, name: str = "t.csv") -> Callable[[Path], list[str]]:
    def setup(tmp: Path) -> list[str]:
        data = text if isinstance(text, bytes) else text.encode()
        (tmp / name).write_bytes(data)
        return ["--data", str(tmp / name), "--label", "y"]

    return setup


def _images(spec: dict[str, list[tuple[int, ...]]], corrupt: bool = False):
    """Class folders with one PNG per shape given: (H, W) grayscale or (H, W, 3) RGB."""

    def setup(tmp: Path) -> list[str]:
        root = tmp / "imgs"
        root.mkdir()
        png_folder(root, spec, step=30)
        if corrupt:
            (root / "a" / "broken.png").write_bytes(b"\x89PNG not really")
        return ["--data", str(root)]

    return setup


def _config(yaml_text: str, data: str = GOOD):
    def setup(tmp: Path) -> list[str]:
        (tmp / "t.csv").write_text(data, encoding="utf-8")
        (tmp / "run.yml").write_text(yaml_text, encoding="utf-8")
        return [str(tmp / "run.yml"), "--data", str(tmp / "t.csv"), "--label", "y"]

    return setup


def _images_with_config(yaml_text: str, arms: str):
    """Twenty small images in two classes, a run config, and the arms to run."""

    def setup(tmp: Path) -> list[str]:
        argv = _images({"a": [SQ] * 10, "b": [SQ] * 10})(tmp)
        (tmp / "run.yml").write_text(yaml_text, encoding="utf-8")
        return [str(tmp / "run.yml"), *argv, "--arms", arms]

    return setup


def _empty_folder(tmp: Path) -> list[str]:
    (tmp / "imgs").mkdir()
    (tmp / "imgs" / "loose.png").write_bytes(b"")
    return ["--data", str(tmp / "imgs")]


def _with(setup, *extra: str):
    return lambda tmp: setup(tmp) + [a.format(tmp=tmp) for a in extra]


SQ = (8, 8)  # a small grayscale image
CASES = {
    "label_misspelt": (
        _csv(GOOD.replace("y\n", "outcome\n", 1)),
        "label column 'y' not found",
    ),
    "label_close_name": (
        _with(_csv(GOOD.replace(",y\n", ",label\n", 1)), "--label", "lable"),
        "label column 'lable' not found; did you mean 'label'?",
    ),
    "empty_file": (_csv(""), "t.csv: file is empty"),
    "header_only": (_csv("a,b,y\n"), "t.csv: table has a header but no rows"),
    "class_with_one_row": (
        _csv(GOOD + "7,7,lonely\n"),
        "class(es) with fewer than 2 rows in label 'y': 'lonely' (1 row)",
    ),
    "single_class": (
        _csv("a,y\n1,x\n2,x\n3,x\n"),
        "label 'y' has a single class ('x'); at least 2 are needed",
    ),
    "nan_feature": (
        _csv(GOOD + ",1,x\n"),
        "feature column 'a' has 1 missing value(s); set data.missing (CLI --missing)",
    ),
    "inf_feature": (
        _csv(GOOD + "1,inf,x\n"),
        "feature column 'b' has 1 infinite value(s); only finite numbers are allowed",
    ),
    "nan_label": (
        _csv(GOOD + "1,2,\n"),
        "label column 'y' has 1 missing value(s); every row needs a class",
    ),
    "unsupported_type": (
        _csv(GOOD, "t.txt"),
        "t.txt: unsupported file type '.txt'; allowed: .csv, .parquet, .pq, .tsv",
    ),
    "not_a_csv": (
        _csv(b"a,b,y\n\xff\xfe,1,x\n", "t.csv"),
        "t.csv: cannot be read as csv: 'utf-8' codec can't decode byte 0xff",
    ),
    "corrupt_image": (
        _images({"a": [SQ, SQ], "b": [SQ, SQ]}, corrupt=True),
        "broken.png: unreadable or corrupt image",
    ),
    "mixed_image_sizes": (
        _images({"a": [SQ, SQ], "b": [(10, 10), (10, 10)]}),
        "differs from (1, 8, 8)",
    ),
    "mixed_image_channels": (
        _images({"a": [SQ, SQ], "b": [(8, 8, 3), (8, 8, 3)]}),
        "image shape (C, H, W)=(3, 8, 8) differs from (1, 8, 8)",
    ),
    "no_class_subfolders": (_empty_folder, "no class subfolders; expected images laid out as"),
    "data_path_missing": (
        lambda tmp: ["--data", str(tmp / "nope.csv"), "--label", "y"],
        "nope.csv: no such file or directory",
    ),
    "unknown_builtin": (
        lambda tmp: ["--data", "builtin:mnist"],
        "unknown built-in dataset 'mnist'; allowed: builtin:digits",
    ),
    "sampling_strategy_name": (
        _config("sampling_strategy: most\n"),
        "sampling_strategy='most' is not allowed; use one of 'auto'",
    ),
    "sampling_strategy_float_multiclass": (
        _config("sampling_strategy: 0.5\n", data=GOOD + "".join(f"{i},0,w\n" for i in range(6))),
        'sampling_strategy=0.5: "sampling_strategy" can be a float only when the type of target',
    ),
    "sampling_strategy_by_name_too_low": (
        _config("sampling_strategy: {x: 3}\n"),
        "sampling_strategy={'x': 3}: With over-sampling methods, the number of samples in a class"
        " should be greater or equal to the original number of samples. Originally, there is 7"
        " samples and 3 samples are asked.",
    ),
    "sampling_strategy_unknown_class": (
        _config("sampling_strategy: {q: 50}\n"),
        "sampling_strategy names unknown class(es) ['q']; classes are ['x', 'z']",
    ),
    "config_unknown_keys_and_types": (
        _config("data:\n  labl: y\ngan:\n  epochs: many\nseeds: 0\n"),
        "data.labl: unknown key; gan.epochs: Input should be a valid integer",
    ),
    "config_bad_missing_policy": (
        _config("data:\n  missing: fill\n"),
        "data.missing: Input should be 'error', 'drop' or 'impute'",
    ),
    "checkpoint_dir_unwritable": (
        _config("gan:\n  checkpoint_dir: t.csv/ck\n"),  # under a file: cannot be created
        "checkpoint folder t.csv/ck cannot be created or written",
    ),
    "config_file_missing": (
        lambda tmp: [str(tmp / "nope.yml")],
        "nope.yml does not exist",
    ),
    "too_few_rows_to_split": (
        _csv("a,y\n1,x\n2,x\n3,z\n4,z\n"),
        "4 rows are too few for a stratified split with test_size=0.3: class 'x' gets 1 train",
    ),
    "json_folder_missing": (
        _with(_csv(GOOD), "--json", "{tmp}/no/such/dir/out.json"),
        "/no/such/dir does not exist",
    ),
    "json_path_is_folder": (
        _with(_csv(GOOD), "--json", "{tmp}"),
        "is a folder; give a file name",
    ),
    "tracking_unreachable": (
        _csv(GOOD),
        "MLflow tracking URI http://127.0.0.1:9 is unreachable (connection refused)",
    ),
    "epochs_zero": (
        _with(_csv(GOOD), "--epochs", "0"),
        "gan.epochs: Input should be greater than or equal to 1",
    ),
    # caught by preflight, before Prefect or MLflow start (issue 10)
    "images_too_large_for_the_gan": (
        _images({"a": [(80, 80)] * 10, "b": [(80, 80)] * 10}),
        "images of 80x80 are larger than the supported 64x64",
    ),
    "gan_device_without_cuda": (
        _config("gan:\n  device: cuda\n"),
        "device='cuda' requested but CUDA is not available",
    ),
    "gan_key_for_the_other_kind": (
        _config("gan:\n  image:\n    channels: 32\n"),
        "gan.image.channels does not apply to a table dataset",
    ),
    "cache_dir_is_a_file": (
        _with(_csv(GOOD), "--cache-dir", "{tmp}/t.csv"),
        "t.csv is a file; give a folder (--cache-dir)",
    ),
    "checkpoint_dir_unwritable_gan_classical_only": (
        _images_with_config("gan:\n  checkpoint_dir: imgs/a/0.png/ck\n", "baseline,gan+classical"),
        "checkpoint folder imgs/a/0.png/ck cannot be created or written",
    ),
    # the classifier asked for cannot take this data (found by the fuzzer's long profile)
    "cnn_on_a_table": (
        _config("classifier: cnn\n"),
        "classifier 'cnn' takes images, not a table",
    ),
    "cnn_on_images_too_small": (
        _with(_images({"a": [(1, 1)] * 8, "b": [(1, 1)] * 8}), "--classifier", "cnn"),
        "classifier 'cnn' needs images of at least 2x2 pixels; these are 1x1",
    ),
    "cnn_on_images_too_small_by_default": (
        _images({"a": [(1, 5)] * 8, "b": [(1, 5)] * 8}),
        "classifier 'cnn' needs images of at least 2x2 pixels; these are 1x5",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_exits_2_one_line_nothing_written(
    case, tmp_path, mlflow_tmp, capsys, monkeypatch
):
    setup, needle = CASES[case]
    if case == "tracking_unreachable":
        monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:9")
    argv = setup(tmp_path)
    if "--json" not in argv:
        argv += ["--json", str(tmp_path / "out.json")]
    code = main(["run", *argv])
    err = capsys.readouterr().err
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("augment: error: ")
    assert needle in lines[0], lines[0]
    assert not (tmp_path / "out.json").exists()
    assert not (tmp_path / "mlflow.db").exists()  # no tracking store, hence no run
    assert not (tmp_path / "mlruns").exists() and not (tmp_path / ".augment").exists()
    assert not list(tmp_path.glob("**/.*.tmp"))  # no stray temp files


def _holes(tmp: Path) -> Path:
    rng = np.random.default_rng(0)
    n = 40
    a = rng.normal(size=n)
    a[::7] = np.nan
    city = rng.choice(["Lyon", "Nice"], n).astype(object)
    city[3::9] = None
    df = pd.DataFrame(
        {"id": np.arange(n), "a": a, "city": city, "y": np.repeat(["p", "q"], n // 2)}
    )
    path = tmp / "holes.csv"
    df.to_csv(path, index=False)
    return path


def test_missing_drop_removes_rows(tmp_path):
    data = load_dataset(_holes(tmp_path), "y", missing="drop")
    assert len(data) == 40 - 6 - 4 and not data.X.isna().to_numpy().any()


def test_missing_impute_uses_train_split_statistics_only(tmp_path):
    path = _holes(tmp_path)
    raw = pd.read_csv(path)
    data = load_dataset(path, "y", missing="impute")
    splits = make_splits(data, 0.3, 0, [], 1.0)
    train_ids = set(splits.train.X["id"])
    train_raw = raw[raw["id"].isin(train_ids)]
    median, mode = train_raw["a"].median(), train_raw["city"].mode()[0]
    for part in (splits.train, splits.test):
        assert not part.X.isna().to_numpy().any()
        holes = raw.set_index("id").loc[part.X["id"]]
        assert (part.X["a"][holes["a"].isna().to_numpy()] == median).all()
        assert (part.X["city"][holes["city"].isna().to_numpy()] == mode).all()
    assert raw["a"].median() != median  # the full-data median would have leaked the test rows


def test_missing_option_reaches_the_cli(tmp_path, mlflow_tmp, capsys):
    argv = ["run", "--data", str(_holes(tmp_path)), "--label", "y", "--missing", "sometimes"]
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2 and "invalid choice: 'sometimes'" in capsys.readouterr().err


def test_a_server_named_by_a_profile_leaves_no_state_folder(tmp_path, prefect_harness):
    """Under a configured Prefect API (here the test harness, as a user's profile would) the
    temporary server is not used, and the state folder it was given is not left behind."""
    from flows.server import start_temporary_api

    assert start_temporary_api(tmp_path / ".augment" / "cache" / "prefect") is None
    assert not (tmp_path / ".augment").exists()
