"""``augment``: the parser of every command and the one boundary they run in."""

from __future__ import annotations

import argparse
import functools
import logging
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from importlib import import_module
from pathlib import Path

from augment.cli.boundary import ADVICE_LINES, Advice, guarded

# a module per command (augment/cli/<name>.py): add_parser(sub, verbose) registers it and
# its handler; add a command by adding its module here
COMMANDS = ("run", "curve", "generate", "predict", "compare", "ui", "serve", "listing")

DESCRIPTION = (
    "Conditional-GAN data augmentation with an honest downstream comparison: train a GAN on a"
    " labeled dataset, balance it with synthetic samples and compare classifiers trained with and"
    " without them against classical remedies (runs tracked in MLflow, orchestrated by Prefect)."
)


def _env_defaults() -> None:
    from augment.environ import private_folder

    # no network here: no analytics, no update checks
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    # arms x seeds already run in parallel tasks; torch's default of one OpenMP thread per core
    # in every task oversubscribes the CPU (measured: 7 ms -> 425 ms per CNN step on 2 cores).
    # Set OMP_NUM_THREADS yourself to give each task more threads.
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    # torch leaves a `torchinductor_<user>` folder in the temp folder once its compiler is
    # imported (by a library, during a run): give it one of ours, removed when we exit
    if "TORCHINDUCTOR_CACHE_DIR" not in os.environ:
        os.environ["TORCHINDUCTOR_CACHE_DIR"] = private_folder("augment-torch-")
    # matplotlib warns twice on stderr when it cannot write its config or cache folder (a
    # read-only HOME): give it one of ours then (its font list is then rebuilt for the run)
    if "MPLCONFIGDIR" not in os.environ and not all(map(_writable, _matplotlib_folders())):
        os.environ["MPLCONFIGDIR"] = private_folder("augment-matplotlib-")


def _matplotlib_folders() -> list[Path]:
    """Where matplotlib keeps its config and its cache when ``MPLCONFIGDIR`` is not set."""
    home = Path(os.path.expanduser("~"))
    if sys.platform.startswith(("linux", "freebsd")):
        config = os.environ.get("XDG_CONFIG_HOME") or home / ".config"
        cache = os.environ.get("XDG_CACHE_HOME") or home / ".cache"
        return [Path(config) / "matplotlib", Path(cache) / "matplotlib"]
    return [home / ".matplotlib"]


def _writable(folder: Path) -> bool:
    """``folder`` can be used or made: it, or its first existing parent, is a writable folder."""
    try:
        while not folder.exists():
            if folder.parent == folder:
                return False
            folder = folder.parent
        return folder.is_dir() and os.access(folder, os.W_OK | os.X_OK)
    except (OSError, RuntimeError):  # no home folder, a path we may not look at
        return False


def _quiet_third_party(verbose: bool) -> None:
    """Prefect's per-task state lines, MLflow's INFO lines, artifact progress bars and the
    libraries' UserWarnings stay off the terminal unless ``-v`` asks for them."""
    if verbose:
        return
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    import warnings

    warnings.filterwarnings("ignore", module=r"(mlflow|prefect|pydantic|albumentations)(\.|$)")


class TerminalHandler(logging.Handler):
    """The CLI's own handler on the root logger: each record a line on the terminal's stderr
    as it is when the record comes (a test's captured stream too), within the command's notes
    and warnings (`boundary.Advice`), with the CLI's filters on it and on nothing else.
    Its name has no leading underscore: Prefect leaves the root logger to a user's handler
    (its own console handler would print every flow's and task's records again)."""

    def __init__(self, advice: Advice) -> None:
        super().__init__()
        self.advice = advice  # the command's notes and warnings (`boundary.note` finds them)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.advice.say(self.format(record))
        except Exception:  # noqa: BLE001 (logging's own rule: a handler never raises)
            self.handleError(record)


def _not_prefect(record: logging.LogRecord) -> bool:
    """Off the terminal: Prefect's records of a task or flow run (a failure is the boundary's
    one line, its traceback in the log file), and those its code makes under other names (its
    queue services log as ``EventsWorker``...); Prefect's own handlers (its API) still get them,
    and ``-v`` shows them."""
    return not (record.name.startswith("prefect") or record.pathname.startswith(_prefect_code()))


@functools.cache
def _prefect_code() -> str:
    """The folder of Prefect's package, with a trailing separator (found, not imported)."""
    from importlib.util import find_spec

    return str(Path(find_spec("prefect").origin).parent) + os.sep


def _warning_or_ours(record: logging.LogRecord) -> bool:
    """Off the terminal: another library's records below WARNING, which reach the root logger
    when it sets its own logger's level (Dask's ``distributed``: INFO); ``-v`` shows them."""
    return record.levelno >= logging.WARNING or record.name.split(".")[0] in ("augment", "flows")


@contextmanager
def _terminal_logging(verbose: bool) -> Iterator[None]:
    """Records of WARNING and above (and the checkpoint's resume line) on stderr for the
    command's duration. Without ``-v``, a full disk is said once by the boundary, not also as
    Prefect's and MLflow's records, and Prefect's own records stay off the terminal."""
    handler = TerminalHandler(Advice(None if verbose else ADVICE_LINES))
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    if not verbose:
        from augment.nospace import HideNoSpaceTracebacks

        hide = HideNoSpaceTracebacks()
        handler.addFilter(hide)
        handler.addFilter(_not_prefect)
        handler.addFilter(_warning_or_ours)
        for name in ("prefect.flow_runs", "prefect.task_runs", "mlflow.store.db.utils"):
            logging.getLogger(name).addFilter(hide)
    root = logging.getLogger()
    root.addHandler(handler)
    logging.getLogger("augment.gan.checkpoint").setLevel(logging.INFO)  # say when it resumes
    try:
        yield
    finally:
        root.removeHandler(handler)


class _Parser(argparse.ArgumentParser):
    """argparse with its usage mistakes said in one line (exit 2), as every other mistake:
    its own way is the whole usage block, several lines, then the message."""

    def error(self, message: str):
        self.exit(2, f"augment: error: {self.prog}: {message} (see `{self.prog} --help`)\n")


def parser() -> argparse.ArgumentParser:
    from augment import __version__

    p = _Parser(prog="augment", description=DESCRIPTION)
    p.add_argument("--version", action="version", version=f"augment {__version__}")
    verbose = argparse.ArgumentParser(add_help=False)
    verbose.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="also show Prefect's and MLflow's own log lines, warnings and tracebacks",
    )
    sub = p.add_subparsers(dest="command", required=True)
    for name in COMMANDS:
        import_module(f"augment.cli.{name}").add_parser(sub, verbose)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    _env_defaults()
    args = parser().parse_args(argv)
    verbose = bool(getattr(args, "verbose", False))
    _quiet_third_party(verbose)
    with _terminal_logging(verbose):
        return guarded(lambda: args.handler(args), args.command, verbose)
