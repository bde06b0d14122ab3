"""Issue 12: no data loss, no code from files, concurrent runs, user mistakes as exit 2."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest

from augment.cli import main

GOOD = "a,b,y\n" + "".join(f"{i},{i % 3},{'xz'[i % 2]}\n" for i in range(20))


def _run_err(argv: list[str], capsys) -> tuple[int, str]:
    code = main(["run", *argv])
    return code, capsys.readouterr().err.strip()


# --- item 1: --json never overwrites an input, nor an existing file without --force ---------


def test_json_target_equal_to_the_input_is_refused(tmp_path, mlflow_tmp, capsys):
    data = tmp_path / "good.csv"
    data.write_text(GOOD)
    code, err = _run_err(["--data", str(data), "--label", "y", "--json", str(data)], capsys)
    assert code == 2 and len(err.splitlines()) == 1
    assert "is the input data" in err, err
    assert data.read_text() == GOOD
    code, err = _run_err(
        ["--data", str(data), "--label", "y", "--json", str(data), "--force"], capsys
    )
    assert code == 2 and "is the input data" in err and data.read_text() == GOOD


def test_existing_json_target_needs_force(tmp_path, mlflow_tmp, capsys):
    data = tmp_path / "good.csv"
    data.write_text(GOOD)
    out = tmp_path / "out.json"
    out.write_text("keep me")
    code, err = _run_err(["--data", str(data), "--label", "y", "--json", str(out)], capsys)
    assert code == 2 and len(err.splitlines()) == 1
    assert "already exists; pass --force to replace it" in err, err
    assert out.read_text() == "keep me"
    assert not (tmp_path / "mlflow.db").exists()


# --- item 4: duplicate column names are an error naming them --------------------------------


@pytest.mark.parametrize(("header", "dup"), [("y,a,y", "['y']"), ("a,a,y", "['a']")])
def test_duplicate_csv_header_is_an_error(tmp_path, mlflow_tmp, capsys, header, dup):
    data = tmp_path / "dup.csv"
    data.write_text(
        header + "\n" + "".join(f"{'xz'[i % 2]},{i},{'xz'[i % 2]}\n" for i in range(20))
    )
    code, err = _run_err(["--data", str(data), "--label", "y"], capsys)
    assert code == 2 and len(err.splitlines()) == 1, err
    assert f"duplicate column name(s) {dup}" in err, err


# --- item 6: a balanced image set gives the GAN nothing to generate; the check still passes --


def test_leakage_check_with_nothing_generated_for_images():
    import numpy as np

    from augment.data import LabeledDataset, make_splits
    from augment.experiment.generation import draw
    from augment.experiment.leakage import check_no_leakage, gan_arm_synthetic

    rng = np.random.default_rng(0)
    X = rng.random((20, 1, 4, 4)).astype(np.float32)
    y = np.repeat([0, 1], 10)
    data = LabeledDataset(name="imgs", X=X, y=y, class_names=["a", "b"], kind="image")
    splits = make_splits(data, 0.3, 0, [], 1.0)
    plan = {0: 0, 1: 0}  # perfectly balanced: nothing to generate
    synthetic = [draw(None, plan, None, 0, kind="image")[0]]
    report = check_no_leakage(splits, synthetic, splits.test.content_hash())
    assert report["passed"] and report["synthetic_rows_checked"] == 0
    assert gan_arm_synthetic(None, splits.train, plan, [0, 1])[0].shape[0] == 0


# --- item 10: no code runs from the result cache or from a logged model ---------------------


class _Evil:
    """Unpickling this touches ``marker``: proof that code from a file ran."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        import os

        return (os.system, (f"touch {self.marker}",))


def _pickle_record(marker: Path, key: str) -> bytes:
    """A Prefect result record as an attacker writes it: pickle serializer, evil payload."""
    from prefect.results import ResultRecord, ResultRecordMetadata
    from prefect.serializers import PickleSerializer

    meta = ResultRecordMetadata(storage_key=key, serializer=PickleSerializer())
    return ResultRecord(metadata=meta, result=_Evil(marker)).serialize()


@pytest.mark.usefixtures("prefect_harness")
def test_a_tampered_cache_runs_nothing_and_is_trained_again(tmp_path, mlflow_tmp, caplog):
    """Pickles planted in the result cache never run (under Prefect's record name and ours);
    a cached GAN whose bytes were flipped (its SHA-256 no longer matches) or that was cut short
    is trained again with a warning, never used and never an exit 2 forever."""
    from mlflow.tracking import MlflowClient
    from test_integrity import flip_weight_bytes

    from augment.config import build_config
    from augment.gan.persist import load_model
    from flows import augmentation_flow

    cfg = build_config(
        {
            "data": {"source": "builtin:wine"},
            "gan": {"epochs": 1},
            "seeds": 1,
            "arms": ["baseline", "gan"],
            "orchestration": {"cache_dir": str(tmp_path / "cache")},
        }
    )

    def tags(summary: dict) -> dict[str, str]:
        return MlflowClient(mlflow_tmp).get_run(summary["mlflow_run_id"]).data.tags

    first = augmentation_flow(cfg)
    results, models = tmp_path / "cache" / "results", tmp_path / "cache" / "models"
    marker = tmp_path / "pwned"
    names = [f.name for f in results.iterdir()]
    assert names
    keys = {n.removesuffix(".json") for n in names} | {f.stem for f in models.iterdir()}
    for key in keys:  # under Prefect's record name and under ours
        for name in (key, f"{key}.json"):
            (results / name).write_bytes(_pickle_record(marker, name))
    (model,) = models.iterdir()
    flip_weight_bytes(model)
    prefect_log = logging.getLogger("prefect")  # Prefect's loggers do not propagate to root
    prefect_log.addHandler(caplog.handler)
    try:
        second = augmentation_flow(cfg)
    finally:
        prefect_log.removeHandler(caplog.handler)
    assert not marker.exists()
    assert second["arms"] == first["arms"]  # recomputed, same numbers
    assert tags(second)["gan_cached_per_generator"] == "false"
    assert re.search(r"cached GAN unusable \(.*SHA-256.*\); training it again", caplog.text)
    load_model(model)  # trained again and written sound
    model.write_bytes(model.read_bytes()[:100])  # cut short
    third = augmentation_flow(cfg)
    assert tags(third)["gan_cached"] == "false" and third["arms"] == first["arms"]
    load_model(model)


def test_tampered_logged_generator_does_not_run(tmp_path, mlflow_tmp, capsys):
    import pickle

    import yaml
    from mlflow.tracking import MlflowClient

    from augment.data import load_dataset
    from augment.gan import TabularCGAN, TabularGANConfig
    from augment.gan.persist import save_model
    from augment.tracking import Tracker, load_tracking_config

    data = load_dataset("builtin:wine")
    cfg = TabularGANConfig(epochs=1, batch_size=64, hidden=16)
    gan = TabularCGAN(cfg, random_state=0, progress=False).fit(data.X, data.y)
    model_file = save_model(gan, tmp_path / "g.pt")
    tracker = Tracker(load_tracking_config())
    run_id = tracker.start_parent("t", {}, {})
    uri = tracker.log_generator(run_id, model_file, data.class_names, "class")
    MlflowClient(mlflow_tmp).set_terminated(run_id)
    (mlmodel,) = list(tmp_path.rglob("MLmodel"))
    marker = tmp_path / "pwned"
    (mlmodel.parent / "python_model.pkl").write_bytes(pickle.dumps(_Evil(marker)))
    spec = yaml.safe_load(mlmodel.read_text())
    flavor = spec["flavors"]["python_function"]
    flavor.pop("model_code_path", None)
    flavor["python_model"] = "python_model.pkl"
    mlmodel.write_text(yaml.safe_dump(spec))
    out = tmp_path / "s.csv"
    code = main(["generate", uri, "--n", "3", "--out", str(out)])
    assert not marker.exists()
    assert code == 0, capsys.readouterr().err
    assert len((out.read_text()).splitlines()) == 1 + 3 * data.n_classes


# --- item 2: runs started at once in a fresh folder share one SQLite store safely -----------

_RACER = """
import sys, time
from augment.tracking import Tracker, TrackingConfig
start = float(sys.argv[1])
time.sleep(max(0.0, start - time.time()))  # every process reaches the store at the same moment
t = Tracker(TrackingConfig(tracking_uri="sqlite:///mlflow.db", experiment="race"))
run_id = t.start_parent("racer", {"p": 1}, {})
t.finish(run_id)
print(run_id)
"""


def test_concurrent_first_use_of_a_sqlite_store(tmp_path):
    import os
    import subprocess
    import sys
    import time

    from mlflow.tracking import MlflowClient

    start = str(time.time() + 12)  # after every process has imported mlflow
    env = dict(os.environ)
    env.pop("MLFLOW_TRACKING_URI", None)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _RACER, start],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outs = [p.communicate(timeout=180) for p in procs]
    for p, (_, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, err[-2000:]
    client = MlflowClient(f"sqlite:///{tmp_path / 'mlflow.db'}")
    exp = client.get_experiment_by_name("race")
    assert len(client.search_runs([exp.experiment_id])) == 2


# --- item 8: user mistakes are one line and exit 2, never a traceback -----------------------


def _parquet_list_column(tmp: Path) -> list[str]:
    import pandas as pd

    rows = 20
    df = pd.DataFrame(
        {
            "a": [[i, i + 1] for i in range(rows)],
            "b": range(rows),
            "y": ["xz"[i % 2] for i in range(rows)],
        }
    )
    df.to_parquet(tmp / "t.parquet")
    return ["--data", str(tmp / "t.parquet"), "--label", "y"]


def _float_label(tmp: Path) -> list[str]:
    (tmp / "f.csv").write_text("a,y\n" + "".join(f"{i},{i * 0.37:.2f}\n" for i in range(60)))
    return ["--data", str(tmp / "f.csv"), "--label", "y"]


def _section_as_list(tmp: Path) -> list[str]:
    (tmp / "g.csv").write_text(GOOD)
    (tmp / "run.yml").write_text("gan: [1, 2]\n")
    return [str(tmp / "run.yml"), "--data", str(tmp / "g.csv"), "--label", "y", "--epochs", "2"]


def _all_nan_drop(tmp: Path) -> list[str]:
    (tmp / "n.csv").write_text("a,b,y\n" + "".join(f"{i},,{'xz'[i % 2]}\n" for i in range(20)))
    return ["--data", str(tmp / "n.csv"), "--label", "y", "--missing", "drop"]


def _cache_dir_is_file(tmp: Path) -> list[str]:
    (tmp / "g.csv").write_text(GOOD)
    return ["--data", str(tmp / "g.csv"), "--label", "y", "--cache-dir", str(tmp / "g.csv")]


MISTAKES = {
    "parquet_list_column": (_parquet_list_column, "column(s) ['a'] hold lists/structs"),
    "float_label": (_float_label, "it looks like a regression target"),
    "section_as_list": (_section_as_list, "gan: must be a mapping (key: value lines), got list"),
    "empty_arms": (lambda tmp: ["--arms", ""], "--arms '' names no arm"),
    "all_nan_column_drop": (_all_nan_drop, "column(s) ['b'] have no value at all"),
    "cache_dir_is_file": (_cache_dir_is_file, "g.csv is a file; give a folder (--cache-dir)"),
}


@pytest.mark.parametrize("case", list(MISTAKES))
def test_user_mistakes_exit_2_one_short_line(case, tmp_path, mlflow_tmp, capsys):
    setup, needle = MISTAKES[case]
    code, err = _run_err(setup(tmp_path), capsys)
    assert code == 2, err
    assert len(err.splitlines()) == 1 and len(err) < 300, err
    assert needle in err, err
    assert not (tmp_path / "mlflow.db").exists()


def test_empty_config_section_takes_cli_overrides(tmp_path):
    from augment.config import load_config

    (tmp_path / "run.yml").write_text("data:\ngan:\n")
    cfg = load_config(tmp_path / "run.yml", {"data.source": "x.csv", "gan.epochs": 3})
    assert cfg.data.source == "x.csv" and cfg.gan.epochs == 3


# --- item 5: 16-bit PNGs are scaled by bit depth, not clipped -------------------------------


def test_16bit_png_is_scaled_not_clipped(tmp_path):
    import numpy as np
    from PIL import Image

    from augment.data import load_dataset

    ramp = (np.arange(64, dtype=np.uint16) * 1000).reshape(8, 8)  # 0 .. 63000 of 65535
    for cls in ("a", "b"):
        (tmp_path / cls).mkdir()
        for i in range(2):
            Image.fromarray(ramp).save(tmp_path / cls / f"{i}.png")
    assert Image.open(tmp_path / "a" / "0.png").mode.startswith("I;16")
    data = load_dataset(str(tmp_path))
    x = data.X[0, 0]
    assert (x >= 0.999).mean() < 0.05  # clipping made 99.5% of pixels 1.0
    np.testing.assert_allclose(x, ramp / 65535, atol=1 / 255)


# --- item 11: SIGTERM marks the run FAILED and leaves no temporary server behind ------------


def _descendants(pid: int) -> list[int]:
    try:
        kids = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []
    return [d for k in kids for d in (int(k), *_descendants(int(k)))]


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
    except (OSError, IndexError):
        return False


def _store_made(db):
    """The run has made its store: the file exists and the run's creation lock is free."""
    import fcntl

    if not db.is_file():
        return False
    with open(db.with_name(db.name + ".lock"), "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError:
            return False
        fcntl.flock(lock, fcntl.LOCK_UN)
    return True


def test_sigterm_marks_the_run_failed(tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time

    from mlflow.tracking import MlflowClient

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    env = {**os.environ, "MLFLOW_TRACKING_URI": uri}
    env.pop("PREFECT_API_URL", None)  # a plain run: Prefect starts its temporary server
    argv = ["run", "--data", "builtin:wine", "--epochs", "500", "--seeds", "1"]
    argv += ["--arms", "baseline,gan", "--no-progress", "--cache-dir", str(tmp_path / "c")]
    proc = subprocess.Popen(
        [sys.executable, "-m", "augment.cli", *argv],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    client = MlflowClient(uri)
    run = None
    deadline = time.time() + 240
    while run is None and time.time() < deadline and proc.poll() is None:
        time.sleep(2)
        if not _store_made(tmp_path / "mlflow.db"):
            continue  # a client of ours would create it beside the run's creation
        exp = client.get_experiment_by_name("augment")
        runs = client.search_runs([exp.experiment_id]) if exp else []
        run = next((r for r in runs if r.info.status == "RUNNING"), None)
    assert run is not None, proc.communicate(timeout=60)
    children = _descendants(proc.pid)  # Prefect's temporary API server among them
    servers = [c for c in children if b"uvicorn" in Path(f"/proc/{c}/cmdline").read_bytes()]
    # in a session of its own: Ctrl-C (SIGINT to the terminal's process group) leaves it up
    # for the interrupted run to record its end, and the run stops it
    assert servers and all(os.getsid(c) != os.getsid(proc.pid) for c in servers)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    time.sleep(5)
    alive = [c for c in children if _alive(c)]
    assert not alive, alive
    assert proc.returncode == 143, err[-2000:]
    assert "terminated (SIGTERM)" in err
    assert client.get_run(run.info.run_id).info.status == "FAILED"


def test_kill_9_leaves_no_server_and_the_next_run_marks_the_orphan_killed(tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time

    from mlflow.tracking import MlflowClient

    from augment.tracking import Tracker, TrackingConfig

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    env = {**os.environ, "MLFLOW_TRACKING_URI": uri}
    env.pop("PREFECT_API_URL", None)  # a plain run: with its temporary Prefect server
    argv = ["run", "--data", "builtin:wine", "--epochs", "500", "--seeds", "1"]
    argv += ["--arms", "baseline,gan", "--no-progress", "--cache-dir", str(tmp_path / "c")]
    proc = subprocess.Popen(
        [sys.executable, "-m", "augment.cli", *argv],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    client = MlflowClient(uri)
    run = None
    deadline = time.time() + 240
    while run is None and time.time() < deadline and proc.poll() is None:
        time.sleep(2)
        if not _store_made(tmp_path / "mlflow.db"):
            continue  # a client of ours would create it beside the run's creation
        exp = client.get_experiment_by_name("augment")
        runs = client.search_runs([exp.experiment_id]) if exp else []
        run = next((r for r in runs if r.info.status == "RUNNING"), None)
    assert run is not None
    children = _descendants(proc.pid)
    assert children  # the temporary Prefect API server
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    deadline = time.time() + 20
    while any(_alive(c) for c in children) and time.time() < deadline:
        time.sleep(0.5)
    assert not [c for c in children if _alive(c)]  # the server died with its parent
    assert client.get_run(run.info.run_id).info.status == "RUNNING"  # nobody could finish it

    tracker = Tracker(TrackingConfig(tracking_uri=uri))
    mine = tracker.start_parent("next", {}, {"augment.host": run.data.tags["augment.host"],
                                             "augment.pid": str(os.getpid())})  # fmt: skip
    assert tracker.reap_orphans(mine) == [run.info.run_id]
    orphan = client.get_run(run.info.run_id)
    assert orphan.info.status == "KILLED"
    assert f"process {run.data.tags['augment.pid']}" in orphan.data.tags["augment.note"]
    assert client.get_run(mine).info.status == "RUNNING"  # a live process's run is left alone
    assert tracker.reap_orphans(mine) == []
