"""What a user sees off a terminal: the CLI as a subprocess, stderr read back (issue 13.1)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from _cli import augment_process, python_process, read_only


def test_a_run_leaves_stderr_free_of_third_party_noise(tmp_path):
    (tmp_path / "mlflow.yml").write_text("tracking_uri: sqlite:///runs.db\n")  # no env var
    out = augment_process(
        "run", "--data", "builtin:wine", "--epochs", "1", "--seeds", "2", "--arms",
        "baseline,gan,smote", cwd=tmp_path, tracking_env=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    # the store is named with where it was configured (MLflow itself exports the URI to the
    # environment during the run; that is not where it came from)
    where = f"tracking store: sqlite:///{tmp_path / 'runs.db'} (from {tmp_path / 'mlflow.yml'})"
    assert where in out.stdout, out.stdout[-600:]
    for noise in ("Finished in state", "INFO", "Downloading artifacts", "Warning", "prefect"):
        assert noise not in out.stderr, out.stderr
    assert "balanced_accuracy" in out.stdout and "MLflow run" in out.stdout
    # off a terminal, progress is a few whole lines per stage, each naming it, ending at 100%
    lines = out.stderr.splitlines()
    assert lines and all(line.startswith("augment: ") for line in lines), out.stderr
    gan = [line for line in lines if line.startswith("augment: GAN fit (2 generator(s)): ")]
    arms = [line for line in lines if line.startswith("augment: arms x seeds: ")]
    assert gan[-1].startswith("augment: GAN fit (2 generator(s)): 2/2 epochs (100%)")
    assert "d_loss" in gan[-1] and "took" in gan[-1]
    assert arms[-1].startswith("augment: arms x seeds: 6/6 trained and scored (100%)")
    assert len(lines) <= 10
    # Prefect's records of the run are in the project's cache folder, not ~/.prefect
    assert (tmp_path / ".augment" / "cache" / "prefect" / "prefect.db").is_file()
    assert not (tmp_path / "home" / ".prefect" / "prefect.db").exists()
    # ... and an empty copy of its new database is kept in the user's cache for later first runs
    cache = Path(os.environ.get("XDG_CACHE_HOME") or tmp_path / "home" / ".cache") / "augment"
    assert list(cache.glob("prefect-*.db")), sorted(cache.parent.rglob("*"))


def test_a_read_only_home_adds_no_line_to_stderr(tmp_path, prefect_api):
    """A HOME the run cannot write (a locked-down service account): matplotlib could not make
    its config folder there and said so in two WARNING lines (found by the fuzzer's long
    profile, seed 20261211). Made read-only with ``chattr +i`` as root (root ignores modes)."""
    home = tmp_path / "home"
    home.mkdir()
    with read_only(home):
        args = ["run", "--data", "builtin:wine", "--seeds", "1", "--arms", "baseline"]
        out = augment_process(*args, "--no-progress", cwd=tmp_path, prefect_api=prefect_api)
    assert out.returncode == 0, out.stderr[-2000:]
    lines = out.stderr.splitlines()
    assert all(line.startswith("augment: ") for line in lines), out.stderr
    assert list(home.iterdir()) == []


def test_version():
    from augment import __version__

    out = subprocess.run(
        [sys.executable, "-m", "augment.cli", "--version"], capture_output=True, text=True
    )
    assert out.returncode == 0 and out.stdout.strip() == f"augment {__version__}"


CRASHING_ARM = """
import sys
from augment.arms import Arm, register
from augment.cli import main

def build(draw):
    raise RuntimeError("the crash arm broke")

register(Arm(name="crash", help="raises", build=build, order=99, default=False, kinds=("table",)))
sys.exit(main(sys.argv[1:]))
"""


def test_a_task_that_fails_in_the_flow_is_one_line_without_prefects_records(tmp_path, prefect_api):
    """A failure inside a flow task (an arm that raises) is the boundary's one line naming the
    log file; Prefect's own ERROR records of the task and the flow stay off the terminal
    (``-v`` shows them)."""
    args = "run --data builtin:wine --epochs 1 --seeds 1 --arms baseline,crash --no-progress"
    code = CRASHING_ARM.replace("sys.argv[1:]", repr(args.split()))
    out = python_process(code, cwd=tmp_path, prefect_api=prefect_api)
    assert out.returncode == 1, out.stderr
    lines = [x for x in out.stderr.splitlines() if not x.startswith("augment: note:")]
    assert len(lines) == 1 and lines[0].startswith("augment: failed: "), out.stderr
    assert "the crash arm broke" in lines[0] and "prefect" not in out.stderr.lower(), out.stderr


def test_the_cli_handler_keeps_prefects_records_for_verbose_and_leaves_other_handlers(capsys):
    """Without ``-v`` only the CLI's own handler drops Prefect's records (a handler of someone
    else, e.g. pytest's, still gets them); with ``-v`` the terminal shows them; the handler is
    gone when the command ends."""
    import logging

    from augment.cli.main import TerminalHandler, _terminal_logging

    seen: list[str] = []
    other = logging.Handler()
    other.emit = lambda record: seen.append(record.getMessage())
    root = logging.getLogger()
    root.addHandler(other)
    try:
        for verbose in (False, True):
            with _terminal_logging(verbose):
                logging.getLogger("prefect.augment_test").error("task failed %s", verbose)
                logging.getLogger("augment.x").warning("ours %s", verbose)
            err = capsys.readouterr().err
            assert ("task failed True" in err) if verbose else ("task failed" not in err), err
            assert f"ours {verbose}" in err
    finally:
        root.removeHandler(other)
    assert seen == ["task failed False", "ours False", "task failed True", "ours True"]
    assert not [h for h in root.handlers if isinstance(h, TerminalHandler)]


def test_a_librarys_info_records_stay_off_the_terminal_without_verbose(capsys):
    """A library that sets its own logger to INFO (Dask's ``distributed`` does: 40 lines of a
    LocalCluster's start and stop, found by the fuzzer's long profile, seed 20261211) reaches
    the terminal from WARNING up; ours (the checkpoint's resume line) from INFO; with ``-v``,
    all of them."""
    import logging

    from augment.cli.main import _terminal_logging

    library = logging.getLogger("distributed.augment_test")
    library.setLevel(logging.INFO)
    try:
        for verbose in (False, True):
            with _terminal_logging(verbose):
                library.info("scheduler at %s", verbose)
                library.warning("worker lost %s", verbose)
                logging.getLogger("augment.gan.checkpoint").info("resumed %s", verbose)
            err = capsys.readouterr().err
            assert ("scheduler at True" in err) if verbose else ("scheduler at" not in err), err
            assert f"worker lost {verbose}" in err and f"resumed {verbose}" in err, err
    finally:
        library.setLevel(logging.NOTSET)


def test_prefects_records_under_other_logger_names_stay_off_the_terminal(capsys):
    """Prefect's queue services log under their class's name (``EventsWorker: Still processing
    items``, seen as a second line under a failed run's one line by the fuzzer's long profile,
    seed 20261212): a record from Prefect's code is Prefect's whatever its logger's name."""
    import logging
    from importlib.util import find_spec
    from pathlib import Path

    from augment.cli.main import _terminal_logging

    prefect = Path(find_spec("prefect").origin).parent
    services = prefect / "_internal" / "concurrency" / "services.py"
    for verbose in (False, True):
        with _terminal_logging(verbose):
            record = logging.makeLogRecord(
                {"name": "EventsWorker", "levelno": logging.WARNING, "levelname": "WARNING",
                 "msg": f"Still processing items {verbose}", "pathname": str(services)}
            )  # fmt: skip
            logging.getLogger("EventsWorker").handle(record)
        err = capsys.readouterr().err
        assert ("Still processing items True" in err) if verbose else (err == ""), err


def test_a_commands_notes_and_warnings_take_at_most_two_lines_then_one_naming_a_log(
    capsys, tmp_path, monkeypatch
):
    """Notes and warnings each took a line: a tiny run of a table with missing values and a
    generator close to its rows said 4 (the fuzzer's long profile, seed 20261213). A command
    now shows two; the rest go to a log file that a third line names; a failure's log file
    gets them instead (its line is the third). With ``-v``: all of them."""
    import logging

    from augment.cli.boundary import guarded, note
    from augment.cli.main import _terminal_logging

    monkeypatch.setenv("AUGMENT_LOG_DIR", str(tmp_path / "logs"))

    def chatty(fail: bool):
        def command() -> int:
            note("augment: note: one")
            logging.getLogger("augment.x").warning("two")
            note("augment: note: three")
            logging.getLogger("augment.y").warning("four")
            if fail:
                raise RuntimeError("broke")
            return 0

        return command

    with _terminal_logging(False):
        assert guarded(chatty(False), "run", False) == 0
    lines = capsys.readouterr().err.splitlines()
    assert lines[:2] == ["augment: note: one", "WARNING augment.x: two"], lines
    assert len(lines) == 3 and lines[2].startswith("augment: 2 more note(s) and warning(s) in ")
    kept = Path(lines[2].rsplit(" in ", 1)[1]).read_text()
    assert "augment: note: three" in kept and "four" in kept

    with _terminal_logging(False):
        assert guarded(chatty(True), "run", False) == 1
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 3 and lines[2].startswith("augment: failed: RuntimeError: broke"), lines
    failure_log = Path(lines[2].rsplit("traceback in ", 1)[1].rstrip(")")).read_text()
    assert "augment: note: three" in failure_log and "four" in failure_log

    with _terminal_logging(True):
        assert guarded(chatty(False), "run", True) == 0
    assert len(capsys.readouterr().err.splitlines()) == 4
