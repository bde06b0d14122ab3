"""`augment.names`: one safe form for every name from user data (class labels, column names)
that becomes an MLflow key or a file name (issue 26 item 3)."""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mlflow.utils.validation import _validate_metric, _validate_param, _validate_tag

from augment.names import MAX_BYTES, MAX_CHARS, is_safe, renamed, safe_name, unique_file_names

HOSTILE = [
    "Type (B)",
    "../../x",
    "<script>alert(1)</script>",
    "snake \U0001f40d",
    "L" * 300,
]

# text as users write it, plus the characters that break keys and paths
names = st.text(st.characters(codec="utf-8") | st.sampled_from("/\\.: -_$()<>\0\n"), max_size=400)


def _mlflow_accepts(key: str) -> None:
    _validate_metric(key, 0.5, 0, 0)
    _validate_param(key, "v")
    _validate_tag(key, "v")


@settings(max_examples=500, deadline=None)
@given(names)
def test_every_safe_form_is_accepted_by_mlflow_alone_and_in_a_key(name):
    s = safe_name(name)
    for key in (s, f"dcr_ratio_{s}", f"config.sampling_strategy.{s}", f"{s}_ci95_high"):
        _mlflow_accepts(key)


@settings(max_examples=500, deadline=None)
@given(names)
def test_every_safe_form_is_one_file_name_in_its_folder(name):
    s = safe_name(name)
    assert len(s) <= MAX_CHARS and len(s.encode()) <= MAX_BYTES
    assert s not in ("", ".", "..") and not s.startswith(".")
    assert "/" not in s and "\\" not in s and "\0" not in s and s.isprintable()
    with tempfile.TemporaryDirectory() as tmp:  # the file system takes it, as one entry
        path = Path(tmp) / s
        path.write_bytes(b"")
        assert os.listdir(tmp) == [s] and path.resolve().parent == Path(tmp).resolve()


@settings(max_examples=1000, deadline=None)
@given(names, names)
def test_distinct_names_have_distinct_safe_forms(a, b):
    if a != b:
        assert safe_name(a) != safe_name(b)


@settings(max_examples=300, deadline=None)
@given(names)
def test_a_safe_form_is_stable_and_a_safe_name_unchanged(name):
    assert safe_name(name) == safe_name(name)
    assert (safe_name(name) == name) == is_safe(name)
    assert renamed([name]) == ({} if is_safe(name) else {name: safe_name(name)})


def test_names_already_in_use_are_unchanged():
    golden = Path(__file__).parent / "golden"
    used = ["class_0", "gan", "gan_and_classical", "balanced_accuracy", "setosa", "0", "-1"]
    used += ["0.5", "Type B", "été", "n_jobs", "gan.seeds", "grid_every"]
    for f in golden.glob("*.json"):  # the class names of the golden runs
        summary = json.loads(f.read_text())
        used += list(summary["class_counts_train"])
        used += list(summary["memorisation"]["per_class"])
    assert [safe_name(n) for n in used] == used


@pytest.mark.parametrize(
    ("name", "start"),
    [
        ("Type (B)", "Type_B--"),
        ("../../x", "x--"),
        ("<script>alert(1)</script>", "script_alert_1_script--"),
        ("", "_--"),
        (".", "_--"),
        (".hidden", "hidden--"),
        ("a.", "a--"),
        ("L" * 300, "L" * (MAX_CHARS - 14) + "--"),
        ("x--0123456789ab", "x--0123456789ab--"),  # looks hashed: hashed again, stays unique
    ],
)
def test_unsafe_names_keep_a_readable_stem_and_a_hash(name, start):
    s = safe_name(name)
    assert s.startswith(start) and len(s) == len(start) + 12, s
    assert s != name and not is_safe(name)


def test_file_names_differing_only_by_case_are_made_distinct():
    got = unique_file_names(["A", "a", "b", "Type (B)"])
    assert got["b"] == "b" and got["Type (B)"] == safe_name("Type (B)")
    assert got["A"].casefold() != got["a"].casefold()
    assert len({v.casefold() for v in got.values()}) == 4


# --- where names reach MLflow ------------------------------------------------------------


def test_config_dict_keyed_by_class_is_logged_and_its_names_recorded(mlflow_tmp):
    from augment.tracking import Tracker, load_tracking_config
    from augment.tracking.log import NAME_TAG

    tracker = Tracker(load_tracking_config())
    params = {"config": {"sampling_strategy": {label: 3 for label in HOSTILE}, "seeds": 2}}
    run_id = tracker.start_parent("t", params, {})
    tracker.finish(run_id)
    # the client of this test's store: mlflow's global URI may be another in-process test's
    run = mlflow.MlflowClient(mlflow_tmp).get_run(run_id)
    for label in HOSTILE:
        assert run.data.params[f"config.sampling_strategy.{safe_name(label)}"] == "3"
        assert run.data.tags[f"{NAME_TAG}{safe_name(label)}"] == label
    assert run.data.params["config.seeds"] == "2"
    assert not [t for t in run.data.tags if t.startswith(NAME_TAG) and "seeds" in t]


# --- plots -------------------------------------------------------------------------------


@pytest.mark.parametrize("label", [*HOSTILE, r"$\foo$", "$5-$10"])
def test_plots_draw_any_class_label_as_text(tmp_path, label):
    import matplotlib.pyplot as plt

    from augment import plots

    names = ["a", label]
    texts = []
    real_close = plt.close

    def spy(fig):  # the texts drawn, read back before the figure goes
        texts.extend(t.get_text() for ax in fig.axes for t in ax.get_xticklabels())
        texts.extend(ax.get_title() for ax in fig.axes)
        real_close(fig)

    plt.close = spy
    try:
        plots.confusion(np.array([[3, 1], [0, 2]]), names, f"arm on {label}", tmp_path / "c.png")
        plots.recall_bars({"gan": [0.5, 0.7]}, names, tmp_path / "r.png")
        real = pd.DataFrame({label: [0.1, 0.5, 0.2, 0.9], "k": [label, "b", label, "b"]})
        y = np.array([0, 1, 0, 1])
        plots.class_marginals(real, y, real, y, names, ["k"], tmp_path / "m.png")
    finally:
        plt.close = real_close
    assert all((tmp_path / f).stat().st_size > 0 for f in ("c.png", "r.png", "m.png"))
    assert not [t for t in texts if re.search(r"(?<!\\)\$", t)]  # no "$": never mathtext
    assert label in [t.replace("\\$", "$") for t in texts]  # the label itself, as text


# --- a whole run, from the CLI -------------------------------------------------------------


def _csv(tmp_path: Path, rare: list[str], columns: tuple[str, str, str]) -> Path:
    """Two numeric features; class ``a`` (45 rows) and each of ``rare`` (15 rows each)."""
    rng = np.random.default_rng(0)
    y = np.array(["a"] * 45 + [r for r in rare for _ in range(15)])
    shift = np.array([0.0] * 45 + [2.0 + i for i in range(len(rare)) for _ in range(15)])
    f1, f2, label = columns
    df = pd.DataFrame({f1: rng.normal(size=len(y)) + shift, f2: rng.normal(size=len(y)), label: y})
    path = tmp_path / "hostile.csv"
    df.to_csv(path, index=False)
    return path


@pytest.mark.usefixtures("prefect_harness", "one_thread")
def test_a_run_with_hostile_class_labels_and_column_names_finishes_and_records_them(
    tmp_path, mlflow_tmp
):
    """Every hostile label is a minority class of one run whose columns have hostile names:
    the run finishes, each original is recorded beside its safe form, and the per-class
    numbers reach MLflow under the safe key and the summary under the original."""
    from augment.cli import main
    from augment.tracking.log import NAME_TAG

    columns = ("Type (B)", r"$\foo$", "<y>")
    out = tmp_path / "out.json"
    argv = ["run", "--data", str(_csv(tmp_path, HOSTILE, columns)), "--label", "<y>"]
    argv += ["--epochs", "1", "--seeds", "1", "--arms", "baseline,gan", "--no-progress"]
    assert main([*argv, "--json", str(out)]) == 0
    summary = json.loads(out.read_text())
    run = mlflow.MlflowClient(mlflow_tmp).get_run(summary["mlflow_run_id"])
    assert run.info.status == "FINISHED"
    recorded = {k: v for k, v in run.data.tags.items() if k.startswith(NAME_TAG)}
    wanted = {f"{NAME_TAG}{safe_name(name)}": name[:5000] for name in [*columns, *HOSTILE]}
    assert recorded == wanted
    per_class = summary["memorisation"]["per_class"]  # the summary keeps the originals
    assert set(HOSTILE) <= set(per_class)
    for rare in HOSTILE:
        if per_class[rare]["ratio"] is not None:
            metric = run.data.metrics[f"dcr_ratio_{safe_name(rare)}"]
            assert metric == pytest.approx(per_class[rare]["ratio"])
    assert Path(summary["report"]).is_file()


@pytest.mark.usefixtures("one_thread")
def test_generate_keeps_an_image_class_called_dotdot_inside_out(tmp_path, mlflow_tmp):
    from augment.cli import main
    from augment.data import load_dataset
    from augment.gan import ImageCGAN, ImageGANConfig
    from augment.gan.persist import save_model
    from augment.tracking import Tracker, load_tracking_config

    data = load_dataset("builtin:digits")
    two = np.flatnonzero(data.y < 2)[:48]
    cfg = ImageGANConfig(epochs=1, batch_size=16, channels=8)
    gan = ImageCGAN(cfg, random_state=0, progress=False).fit(data.X[two], data.y[two])
    tracker = Tracker(load_tracking_config())
    run_id = tracker.start_parent("t", {}, {})
    classes = ["../../ESCAPED", "ok"]
    uri = tracker.log_generator(run_id, save_model(gan, tmp_path / "g.pt"), classes, "class")
    tracker.finish(run_id)
    (tmp_path / "gen").mkdir()
    out = tmp_path / "gen" / "images"
    before = {p for p in tmp_path.rglob("*") if "mlruns" not in p.parts and p.suffix != ".db"}
    assert main(["generate", uri, "--n", "2", "--out", str(out)]) == 0
    after = {p for p in tmp_path.rglob("*") if "mlruns" not in p.parts and p.suffix != ".db"}
    new = after - before - {out}
    assert new and all(p.resolve().is_relative_to(out.resolve()) for p in new), sorted(new)
    manifest = pd.read_csv(out / "manifest.csv")
    assert sorted(set(manifest["class"])) == classes
    assert all((out / f).is_file() for f in manifest["file"])
