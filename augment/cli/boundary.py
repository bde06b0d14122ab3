"""The one error boundary every command runs inside (README, Reliability).

- a user mistake (`AugmentError`): exit 2 and one line naming what is wrong;
- anything else: exit 1 and one line naming the log file that holds the traceback (``-v`` also
  prints it); a full disk is said as such;
- Ctrl-C: 130, SIGTERM: 143, each saying what became of the MLflow run, if one was opened.

No command prints a Python traceback unless ``-v`` asks for it: Prefect's and MLflow's own
error records keep their message on the terminal and send their traceback to the log file.

Notes and warnings (`note`, and the log records the terminal shows) take at most
`ADVICE_LINES` lines; the rest go to a log file named on one more line, or, when the command
fails, to its failure log. ``-v`` shows them all.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import tempfile
import threading
import time
import traceback
import warnings
from collections.abc import Callable
from pathlib import Path

from augment.exceptions import AugmentError

MAX_LINE = 400  # characters of an error message on the terminal; the log file has all of it
ADVICE_LINES = 2  # notes and warnings a command shows; one more line names where the rest are


class Advice:
    """The notes and warnings of one command on stderr: the first `ADVICE_LINES`, then the
    rest kept for the log file that the command's last line names."""

    def __init__(self, limit: int | None = ADVICE_LINES) -> None:
        self.limit = limit  # None: every line (-v)
        self.shown = 0
        self.held: list[str] = []
        self._lock = threading.Lock()

    def say(self, line: str) -> None:
        with self._lock:
            if self.limit is not None and self.shown >= self.limit:
                self.held.append(line)
                return
            self.shown += 1
        _say(line)


def advice() -> Advice | None:
    """The running command's notes and warnings: those of the terminal's log handler on the
    root logger (`augment.cli.main.TerminalHandler`), None outside a command."""
    for handler in logging.getLogger().handlers:
        found = getattr(handler, "advice", None)
        if isinstance(found, Advice):
            return found
    return None


def note(line: str) -> None:
    """Say ``line`` (a note or warning of the command) on stderr, within the command's
    `ADVICE_LINES` (outside a command: at once)."""
    held = advice()
    if held is None:
        _say(line)
    else:
        held.say(line)


class Terminated(SystemExit):
    """Raised in the main thread on SIGTERM; exits 143 (128 + SIGTERM) after cleanup."""


def _terminated(signum: int, frame: object) -> None:
    raise Terminated(128 + signum)


def stop_on_sigterm() -> None:
    """SIGTERM (timeout, systemd, docker stop) unwinds like Ctrl-C: the flow marks its MLflow run
    FAILED and child processes are stopped on the way out."""
    signal.signal(signal.SIGTERM, _terminated)


def _signal_of(err: BaseException | None) -> int | None:
    """The signal ``err`` stands for: our `Terminated`, Ctrl-C's `KeyboardInterrupt`, or a
    library's signal exception (Prefect's ``TerminationSignal``: a BaseException with an int
    ``signal``); None for any other exception."""
    if isinstance(err, Terminated):
        return int(err.code) - 128
    if isinstance(err, KeyboardInterrupt):
        return signal.SIGINT
    code = getattr(err, "signal", None)
    if isinstance(err, BaseException) and not isinstance(err, Exception) and isinstance(code, int):
        return code
    return None


class _SignalsNotLost:
    """``sys.unraisablehook`` while a command runs. A signal that arrives while the garbage
    collector runs a weakref callback or a ``__del__`` raises its exception there, where
    Python cannot propagate it: it prints "Exception ignored" and the command goes on as if
    never asked to stop. This hook sends the signal again from another thread, so its handler
    runs in the main thread's own code and unwinds the command (again if it lands in a
    callback once more); any other unraisable exception goes to the hook before it."""

    def __init__(self) -> None:
        self.hook = sys.unraisablehook

    def __call__(self, unraisable) -> None:
        sig = _signal_of(unraisable.exc_value)
        if sig is None:
            self.hook(unraisable)
            return
        pid = os.getpid()
        threading.Timer(0.01, os.kill, (pid, sig)).start()


def one_line(err: BaseException) -> str:
    """``err`` as one terminal line: its lines joined, cut at a word near `MAX_LINE`."""
    text = " ".join(part.strip() for part in str(err).splitlines() if part.strip())
    text = text or type(err).__name__
    if len(text) > MAX_LINE:
        cut = text.rfind(" ", 0, MAX_LINE)
        text = text[: cut if cut > MAX_LINE // 2 else MAX_LINE].rstrip(" ,;:") + " ..."
    return text


def log_dir() -> Path:
    """Where failure logs go: ``$AUGMENT_LOG_DIR``, else the user's state folder
    (``$XDG_STATE_HOME/augment/logs``, default ``~/.local/state/augment/logs``), never a folder
    of the project or its inputs; the system temp folder when that cannot be created."""
    given = os.environ.get("AUGMENT_LOG_DIR")
    if given:
        return Path(given).expanduser()
    state = os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state"
    return Path(state) / "augment" / "logs"


class FailureLog:
    """One log file per command that failed: its tracebacks (ours and the libraries')."""

    def __init__(self, command: str) -> None:
        self.command = command
        self.records: list[str] = []
        self.path: Path | None = None

    def add(self, text: str) -> None:
        self.records.append(text)

    def write(self, err: BaseException | None) -> Path | None:
        """Write the collected records and ``err``'s traceback (None: the records only); the
        path, or None if nowhere could be written (then the terminal line says so)."""
        stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
        name = f"{stamp}-{self.command}-{os.getpid()}.log"
        text = "".join(self.records)
        if err is not None:
            text += "--- augment\n" + "".join(traceback.format_exception(err))
        argv = " ".join(sys.argv)
        for folder in (log_dir(), Path(tempfile.gettempdir()) / "augment-logs"):
            try:
                folder.mkdir(parents=True, exist_ok=True)
                path = folder / name
                path.write_text(f"augment {argv}\n\n{text}", encoding="utf-8")
                self.path = path
                return path
            except OSError:
                continue
        return None


class _TracebacksToLog:
    """A log record factory: every record made while a command runs keeps its message for the
    terminal, and its traceback (``exc_info``, or one formatted into the message, as Prefect's
    engine does) goes to the failure log. Records are changed where they are made, so handlers
    the libraries install during the command (Prefect's console handler) never see one."""

    MARK = "Traceback (most recent call last)"

    def __init__(self, log: FailureLog) -> None:
        self.log = log
        self.make = logging.getLogRecordFactory()

    def __call__(self, *args, **kwargs) -> logging.LogRecord:
        record = self.make(*args, **kwargs)
        if record.exc_info:
            record.augment_exc = record.exc_info[1]  # for filters that look at the cause
        if record.exc_info or record.stack_info:
            formatted = logging.Formatter().format(record)
            self.log.add(f"--- {record.name} ({record.levelname})\n{formatted}\n")
            record.exc_info = None
            record.exc_text = None
            record.stack_info = None
        try:
            text = record.getMessage()
        except Exception:  # a record whose args do not fit its format: left to logging
            return record
        if self.MARK in text:
            record.augment_text = text
            self.log.add(f"--- {record.name} ({record.levelname})\n{text}\n")
            record.msg = text.split(self.MARK, 1)[0].rstrip() or "(traceback in the log)"
            record.args = ()
        return record


class _LibraryWarningsToLog:
    """``warnings.showwarning`` while a command runs: a warning raised in augment's own code is
    shown as usual; one raised in a library's (a deprecation inside MLflow, say) goes to the
    failure log. A library can change the warning filters as it is imported; this cannot be
    undone that way."""

    def __init__(self, log: FailureLog) -> None:
        self.log = log
        self.show = warnings.showwarning
        self.ours = str(Path(__file__).resolve().parents[1])

    def __call__(self, message, category, filename, lineno, file=None, line=None) -> None:
        if str(Path(filename).resolve()).startswith(self.ours):
            self.show(message, category, filename, lineno, file, line)
            return
        text = warnings.formatwarning(message, category, filename, lineno, line)
        self.log.add(f"--- warning\n{text}")


def guarded(command: Callable[[], int], name: str, verbose: bool) -> int:
    """Run ``command`` inside the boundary; its exit code."""
    log = FailureLog(name)
    factory = _TracebacksToLog(log)
    shown = _LibraryWarningsToLog(log)
    if not verbose:
        logging.setLogRecordFactory(factory)
        warnings.showwarning = shown
    held = advice()
    signals = _SignalsNotLost()
    sys.unraisablehook = signals
    try:
        code = command()
    except BaseException as raised:  # noqa: BLE001 (the boundary: everything ends here)
        if isinstance(raised, SystemExit) and not isinstance(raised, Terminated):
            raise  # argparse's --help / usage errors: already said
        _keep_unsaid(held, log)  # a failure's log holds the notes not shown
        return _exit(raised, log, verbose)
    finally:
        sys.unraisablehook = signals.hook
        if not verbose:
            logging.setLogRecordFactory(factory.make)
            warnings.showwarning = shown.show
    if held is not None and held.held:  # the notes not shown, in a log file one line names
        notes = FailureLog(name)
        _keep_unsaid(held, notes)
        path = notes.write(None)
        where = str(path) if path else "no log file (none could be written)"
        _say(f"augment: {len(held.held)} more note(s) and warning(s) in {where}")
    return code


def _keep_unsaid(held: Advice | None, log: FailureLog) -> None:
    """The notes and warnings ``held`` did not show, into ``log``."""
    for line in held.held if held is not None else []:
        log.add(f"{line}\n")


def _exit(raised: BaseException, log: FailureLog, verbose: bool) -> int:
    """Say ``raised`` in one line; the exit code."""
    from augment.exceptions import RunFailed

    err, run = raised, None
    if isinstance(raised, RunFailed) and raised.__cause__ is not None:
        err, run = raised.__cause__, raised
    left = _run_left(run)
    if isinstance(err, AugmentError):
        _say(f"augment: error: {one_line(err)}{left}")
        return 2
    if isinstance(err, KeyboardInterrupt):
        _say(f"augment: interrupted{left}")
        return 130
    if isinstance(err, Terminated):
        _say(f"augment: terminated (SIGTERM){left}")
        return int(err.code)
    from augment.nospace import describe, out_of_space

    path = log.write(err)
    where = f"traceback in {path}" if path else "no log file could be written"
    cause = out_of_space(err)
    if cause is not None:
        text = f"out of disk space: {describe(cause)}; free some space and run again"
    else:
        text = f"{type(err).__name__}: {one_line(err)}"
    _say(f"augment: failed: {text}{left} ({where})")
    if verbose:
        traceback.print_exception(err, file=sys.stderr)
    return 1


def _run_left(run) -> str:
    """What became of the MLflow run the command opened, if it opened one."""
    if run is None:
        return ""
    if run.marked_failed:
        return f"; the MLflow run {run.run_id} is marked FAILED"
    return (
        f"; the MLflow run {run.run_id} could not be marked FAILED (the tracking store could"
        " not be written); the next run marks it KILLED"
    )


def _say(line: str) -> None:
    # written, not print()ed: inside a flow Prefect's `log_prints` turns print() into its own
    # log records, which stay off the terminal
    sys.stderr.write(line + "\n")
    sys.stderr.flush()
