"""The CLI's one error boundary and its one output guard (issue 26, items 1 and 2)."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from augment.cli import main
from augment.cli.boundary import Terminated, guarded, one_line
from augment.exceptions import ConfigError, RunFailed
from augment.outputs import Outputs, inside

GOOD = "a,b,y\n" + "".join(f"{i},{i % 3},{'xz'[i % 2]}\n" for i in range(20))


@pytest.fixture
def logs(tmp_path, monkeypatch):
    folder = tmp_path / "logs"
    monkeypatch.setenv("AUGMENT_LOG_DIR", str(folder))
    return folder


def _boom():
    raise RuntimeError("internal\ndetail")


# --- item 1: one boundary ---------------------------------------------------------------------


def test_a_failure_is_exit_1_one_line_naming_the_log(logs, capsys):
    assert guarded(_boom, "run", verbose=False) == 1
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    assert err.startswith("augment: failed: RuntimeError: internal detail (traceback in ")
    [log] = logs.iterdir()
    assert str(log) in err
    assert "Traceback (most recent call last)" in log.read_text()
    assert "_boom" in log.read_text()


def test_verbose_also_prints_the_traceback(logs, capsys):
    assert guarded(_boom, "run", verbose=True) == 1
    assert "Traceback (most recent call last)" in capsys.readouterr().err


def test_a_user_mistake_is_exit_2_and_writes_no_log(logs, capsys):
    def mistake():
        raise ConfigError("data.split_seed: must be >= 0, got -1")

    assert guarded(mistake, "run", verbose=False) == 2
    assert capsys.readouterr().err == "augment: error: data.split_seed: must be >= 0, got -1\n"
    assert not logs.exists()


def _only_handler(monkeypatch) -> logging.Handler:
    """A stderr handler as the root logger's only one (earlier in-process CLI calls left
    handlers on streams of other tests' captures)."""
    handler = logging.StreamHandler()  # stderr at call time: what pytest's capsys reads
    monkeypatch.setattr(logging.getLogger(), "handlers", [handler])
    return handler


def test_library_error_records_keep_their_traceback_off_the_terminal(logs, capsys, monkeypatch):
    """Prefect and MLflow log a failure with its traceback (exc_info) before it reaches us."""
    _only_handler(monkeypatch)

    def logs_then_fails():
        try:
            _boom()
        except RuntimeError:
            logging.getLogger("prefect.flow_runs").error("flow failed", exc_info=True)
            raise

    assert guarded(logs_then_fails, "run", verbose=False) == 1
    err = capsys.readouterr().err
    assert "flow failed" in err and "Traceback" not in err, err
    [log] = logs.iterdir()
    assert log.read_text().count("Traceback (most recent call last)") == 2


def test_the_run_left_behind_is_said_only_when_there_was_one(logs, capsys):
    def terminated_before_any_run():
        raise Terminated(143)

    assert guarded(terminated_before_any_run, "run", verbose=False) == 143
    assert capsys.readouterr().err == "augment: terminated (SIGTERM)\n"

    def terminated_in_a_run():
        try:
            raise Terminated(143)
        except Terminated as err:
            raise RunFailed("abc123", marked_failed=True) from err

    assert guarded(terminated_in_a_run, "run", verbose=False) == 143
    err = capsys.readouterr().err
    assert err == "augment: terminated (SIGTERM); the MLflow run abc123 is marked FAILED\n"

    def user_error_in_a_run():
        try:
            raise ConfigError("bad")
        except ConfigError as err:
            raise RunFailed("abc123", marked_failed=False) from err

    assert guarded(user_error_in_a_run, "run", verbose=False) == 2
    assert "abc123 could not be marked FAILED" in capsys.readouterr().err


def test_one_line_cuts_at_a_word():
    text = one_line(ValueError("word " * 200))
    assert len(text) < 420 and text.endswith("word ...")


def test_unwritable_log_folder_still_one_line(tmp_path, monkeypatch, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("AUGMENT_LOG_DIR", str(blocker / "logs"))  # under a file: cannot exist
    assert guarded(_boom, "run", verbose=False) == 1
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "traceback in " in err  # the temp folder took it


# --- item 2: one output guard -------------------------------------------------------------------


def test_guard_refuses_outputs_at_or_inside_an_input(tmp_path):
    data = tmp_path / "imgs"
    (data / "b").mkdir(parents=True)
    (data / "b" / "0.png").write_bytes(b"png")
    cfg = tmp_path / "run.yml"
    cfg.write_text("seeds: 3\n")
    guard = Outputs([str(data), str(cfg)], force=True)
    for path, said in [
        (data / "b" / "0.png", "is inside the input"),
        (data / "new.json", "is inside the input"),
        (cfg, "is the input"),
        (tmp_path, "is a folder"),
    ]:
        with pytest.raises(ConfigError, match=said):
            guard.file(path, "--json")
    with pytest.raises(ConfigError, match="holds the input"):
        guard.folder(tmp_path / "imgs" / "..", "--out")
    with pytest.raises(ConfigError, match="is a folder"):
        guard.file(".", "--json")
    link = tmp_path / "link.json"
    link.symlink_to(data / "b" / "0.png")
    with pytest.raises(ConfigError, match="is inside the input"):
        guard.file(link, "--json")


def test_guard_refuses_two_outputs_that_are_one_file(tmp_path):
    guard = Outputs(force=True)
    guard.file(tmp_path / "a.json", "--json")
    with pytest.raises(ConfigError, match="same file"):
        guard.file(tmp_path / "sub" / ".." / "a.json", "--report")


def test_guard_needs_force_for_an_existing_file(tmp_path):
    out = tmp_path / "out.json"
    out.write_text("keep")
    with pytest.raises(ConfigError, match="already exists; pass --force"):
        Outputs().file(out, "--json")
    assert Outputs(force=True).file(out, "--json") == out.resolve()


def test_guard_names_the_path_as_given_when_its_folder_is_missing_or_read_only(
    tmp_path, monkeypatch
):
    """The one line names what the user typed (fuzzer finding: `--json ro/out.json` was said
    as 'output folder /abs/ro is not writable', naming neither the flag's value nor a key)."""

    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match=r"--json no/out.json: its folder .*no does not exist"):
        Outputs().file("no/out.json", "--json")
    (tmp_path / "ro").mkdir()
    real_access = os.access
    monkeypatch.setattr(  # as for a user without write permission (tests may run as root)
        os, "access", lambda p, mode: real_access(p, mode) and Path(p).name != "ro"
    )
    with pytest.raises(ConfigError, match=r"--json ro/out.json: its folder .*ro is not writable"):
        Outputs().file("ro/out.json", "--json")
    with pytest.raises(ConfigError, match=r"--out ro/gen: its folder .*ro is not writable"):
        Outputs().folder("ro/gen", "--out")


def test_guard_never_replaces_the_working_folder_or_home(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for target in (".", str(tmp_path), "..", str(Path.home())):
        with pytest.raises(ConfigError, match="working folder|home"):
            Outputs(force=True).folder(target, "--out")


@pytest.mark.parametrize("name", ["..", ".", "../../ESCAPED", "/etc/passwd", "a/b", ""])
def test_inside_refuses_names_that_leave_their_root(tmp_path, name):
    with pytest.raises(ConfigError):
        inside(tmp_path / "gen", name)


def test_inside_keeps_a_plain_name(tmp_path):
    assert inside(tmp_path / "gen", "Type (B)") == (tmp_path / "gen" / "Type (B)").resolve()


# --- the probe's defects, through the real CLI ----------------------------------------------


def _image_folder(root: Path) -> Path:
    rng = np.random.default_rng(0)
    for cls in ("a", "b"):
        (root / cls).mkdir(parents=True)
        for i in range(6):
            pixels = rng.integers(0, 255, (8, 8), dtype=np.uint8)
            Image.fromarray(pixels).save(root / cls / f"{i}.png")
    return root


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_json_inside_the_input_image_folder_is_refused_even_with_force(
    tmp_path, mlflow_tmp, capsys
):
    imgs = _image_folder(tmp_path / "imgs")
    before = _snapshot(imgs)
    code = main(["run", "--data", str(imgs), "--json", str(imgs / "b" / "0.png"), "--force"])
    err = capsys.readouterr().err
    assert code == 2 and len(err.splitlines()) == 1 and "is inside the input data" in err, err
    assert _snapshot(imgs) == before
    assert not (tmp_path / "mlflow.db").exists()


@pytest.mark.parametrize(
    "flags",
    [
        ["--json", "out.html"],  # the report defaults to out.html beside it
        ["--json", "a.json", "--report", "a.json"],
        ["--json", "a.json", "--report", "./sub/../a.json"],
    ],
)
def test_two_outputs_that_are_one_file_are_refused(flags, tmp_path, mlflow_tmp, capsys):
    data = tmp_path / "good.csv"
    data.write_text(GOOD)
    (tmp_path / "sub").mkdir()
    code = main(["run", "--data", str(data), "--label", "y", *flags])
    err = capsys.readouterr().err
    assert code == 2 and len(err.splitlines()) == 1 and "same file" in err, err
    assert sorted(os.listdir(tmp_path)) == ["good.csv", "sub"]


def test_json_on_the_tracking_store_is_refused(tmp_path, mlflow_tmp, capsys):
    data = tmp_path / "good.csv"
    data.write_text(GOOD)
    store = tmp_path / "mlflow.db"
    store.write_bytes(b"")
    code = main(["run", "--data", str(data), "--label", "y", "--json", str(store), "--force"])
    err = capsys.readouterr().err
    assert code == 2 and "is the tracking store" in err, err


def test_a_traceback_written_into_a_message_goes_to_the_log(logs, capsys, monkeypatch):
    """Prefect's engine formats the traceback into the record's message text."""
    _only_handler(monkeypatch)

    def says_then_fails():
        text = "Encountered exception during execution:\nTraceback (most recent call last):\n"
        logging.getLogger("prefect.task_runs").error("%s  File x\nValueError: y", text)
        _boom()

    assert guarded(says_then_fails, "run", verbose=False) == 1
    err = capsys.readouterr().err
    assert "Encountered exception during execution:" in err and "Traceback" not in err, err
    [log] = logs.iterdir()
    assert "ValueError: y" in log.read_text()


# --- ui and generate flags: user mistakes before any work -------------------------------------


def _store(tmp_path: Path) -> None:
    from mlflow import MlflowClient

    MlflowClient(f"sqlite:///{tmp_path / 'mlflow.db'}").search_experiments()


@pytest.fixture
def store(tmp_path, mlflow_tmp, capsys):
    """A tracking store in the test's folder; MLflow's lines about making it are not ours."""
    _store(tmp_path)
    capsys.readouterr()


@pytest.mark.usefixtures("store")
def test_ui_on_a_busy_port_is_exit_2(capsys):
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code = main(["ui", "--port", str(port)])
    err = capsys.readouterr()
    assert code == 2 and "is in use" in err.err and len(err.err.splitlines()) == 1, err
    assert "http://" not in err.out  # never someone else's URL


@pytest.mark.parametrize("host", ["999.1.1.1", "no-such-host.invalid"])
@pytest.mark.usefixtures("store")
def test_ui_on_an_unknown_host_is_exit_2(host, capsys):
    code = main(["ui", "--host", host])
    err = capsys.readouterr().err
    assert code == 2 and f"--host {host!r}" in err and len(err.splitlines()) == 1, err


@pytest.mark.parametrize(
    ("flags", "said"),
    [
        (["--seed", "-1"], "--seed must be between 0 and 4294967295"),
        (["--seed", str(2**64)], "--seed must be between 0 and 4294967295"),
        (["--n", "0"], "--n must be between 1 and"),
    ],
)
def test_generate_flags_out_of_range_are_exit_2(flags, said, tmp_path, mlflow_tmp, capsys):
    code = main(["generate", "runs:/x/generator", "--out", "g.csv", "--n", "3", *flags])
    err = capsys.readouterr().err
    assert code == 2 and said in err and len(err.splitlines()) == 1, err
    assert sorted(os.listdir(tmp_path)) == []


def test_a_library_warning_goes_to_the_log_not_the_terminal(logs, capsys):
    import warnings

    def warns_then_fails():
        # as if raised inside a library: the warning names a file outside augment
        warnings.warn_explicit("old API", DeprecationWarning, "/site-packages/lib/utils.py", 7)
        _boom()

    with warnings.catch_warnings():
        warnings.simplefilter("always")
        assert guarded(warns_then_fails, "run", verbose=False) == 1
    err = capsys.readouterr().err
    assert "old API" not in err and len(err.splitlines()) == 1, err
    [log] = logs.iterdir()
    assert "DeprecationWarning: old API" in log.read_text()


@pytest.mark.parametrize(
    "argv", [["compare", "--last", "x"], ["bogus"], ["run", "--epochs"], ["run", "--missing=x"]]
)
def test_a_usage_mistake_is_one_line(argv, capsys):
    with pytest.raises(SystemExit) as stop:
        main(argv)
    err = capsys.readouterr().err
    assert stop.value.code == 2 and len(err.splitlines()) == 1, err
    assert err.startswith("augment: error: augment") and "--help" in err


SIGNAL_IN_A_CALLBACK = """
import signal, sys, time, weakref
from augment.cli.boundary import guarded, stop_on_sigterm

stop_on_sigterm()

class Thing:
    pass

def command():
    thing = Thing()
    def callback(ref):  # runs inside the garbage collector's weakref machinery
        if sys.argv[1] == "prefect":
            from prefect.exceptions import TerminationSignal
            raise TerminationSignal(signal=signal.SIGTERM)  # Prefect's handler, raising here
        signal.raise_signal(signal.SIGTERM if sys.argv[1] == "term" else signal.SIGINT)
    keep = weakref.ref(thing, callback)
    del thing  # the callback runs now: the signal's exception cannot propagate from it
    for _ in range(100):
        time.sleep(0.05)
    return 0

sys.exit(guarded(command, "test", verbose=False))
"""


@pytest.mark.parametrize(("how", "code", "said"), [("term", 143, "terminated (SIGTERM)"),
                                                   ("prefect", 143, "terminated (SIGTERM)"),
                                                   ("int", 130, "interrupted")])  # fmt: skip
def test_a_signal_that_lands_in_a_gc_callback_still_ends_the_command(how, code, said, tmp_path):
    """SIGTERM / Ctrl-C arriving while the garbage collector runs a weakref callback (seen in
    CI: SQLAlchemy's, under a SIGTERM) raised there, Python printed "Exception ignored" with a
    traceback, and the command went on to exit 0 as if never asked to stop."""
    import subprocess
    import sys

    env = {**os.environ, "AUGMENT_LOG_DIR": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", SIGNAL_IN_A_CALLBACK, how], capture_output=True,
                         text=True, timeout=60, env=env)  # fmt: skip
    assert out.returncode == code, out.stderr
    assert said in out.stderr
    assert "Traceback" not in out.stderr and "Exception ignored" not in out.stderr, out.stderr
