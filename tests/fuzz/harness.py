"""Run the real `augment` CLI on one fuzzed example and check the contract (README, Reliability).

The contract, for every command and every input:

- exit code 0, 1 or 2 (a timeout is a finding too, with where the process was waiting);
- without ``-v``: at most 3 lines on stderr and never a ``Traceback``;
- exit 2 (a user mistake): the line names the file, key, column or value when the example
  knows which one is wrong; exit 1: the line names a log file that exists and holds the
  traceback;
- every file that was there before is byte-identical afterwards, except in the cache folder
  and the tracking store (a declared output that existed before only changes with
  ``--force``);
- no new file outside the declared outputs, the cache folder and the store (the SQLite file,
  its journal/lock siblings and the ``mlruns/`` / ``mlartifacts/`` artifact folders), and none
  left in the example's temp folder;
- no MLflow run left RUNNING in the SQLite store; no process of the example left alive.

Each example gets a folder of its own: ``work/`` (the working directory), ``home/`` (HOME,
not checked: third-party caches), ``logs/`` (AUGMENT_LOG_DIR) and ``tmp/`` (TMPDIR). The
process runs in its own session with an address-space cap, and carries a token in its
environment so that every process it started can be found (and ended) afterwards.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import sqlite3
import stat
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterable
from contextlib import suppress
from dataclasses import asdict, dataclass, field
from pathlib import Path

ALLOWED_EXITS = {0, 1, 2}
MAX_STDERR_LINES = 3
MEMORY_CAP = 8 * 2**30  # address space of each process the example starts (torch needs ~3 GiB)
# AUGMENT_FUZZ_SLOWDOWN scales the time limits on a busy machine (e.g. 2 with other jobs)
SLOWDOWN = float(os.environ.get("AUGMENT_FUZZ_SLOWDOWN", "1"))
TIMEOUT = 300.0 * SLOWDOWN  # seconds for an example that may run the whole flow
USER_ERROR_TIMEOUT = 150.0 * SLOWDOWN  # seconds for one that should stop at the checks (exit 2)
GRACE = 10.0  # seconds the example's child processes get to end after it exits
TOKEN_VAR = "AUGMENT_FUZZ_TOKEN"

# `python -m augment.cli ARGS` under an address-space cap (the cap is inherited by children)
# and a thread dump on SIGUSR1 (asked for when an example runs past its time)
_LAUNCH = (
    "import faulthandler, resource, runpy, signal, sys; cap = int(sys.argv.pop(1));"
    " resource.setrlimit(resource.RLIMIT_AS, (cap, cap)); sys.argv[0] = 'augment';"
    " faulthandler.register(signal.SIGUSR1, all_threads=True);"
    " runpy.run_module('augment.cli', run_name='__main__', alter_sys=True)"
)


@dataclass
class Example:
    """One fuzzed command, materialized on disk under ``root``."""

    family: str
    argv: list[str]  # after `augment`
    root: Path  # the example's folder (work/, home/, logs/, tmp/ inside)
    description: str
    outputs: list[str] = field(default_factory=list)  # declared outputs (relative to cwd)
    force: bool = False  # --force given: declared outputs may be replaced
    cache_dir: str | None = ".augment/cache"  # relative to cwd; None: the command has none
    store: Path | None = None  # the SQLite store file (checked for RUNNING runs)
    env: dict[str, str | None] = field(default_factory=dict)  # None: unset the variable
    expect: set[int] | None = None  # stricter than ALLOWED_EXITS (e.g. {2}: a user mistake)
    culprits: list[str] = field(default_factory=list)  # one should appear in an exit-2 line
    timeout: float = TIMEOUT
    stop_after: float | None = None  # a command that must end by itself within this (ui)
    extra_roots: list[tuple[Path, list[Path]]] = field(default_factory=list)  # (root, zones)
    verbose: bool = False

    @property
    def cwd(self) -> Path:
        return self.root / "work"

    def command_line(self) -> str:
        """The command as a user would type it (for the findings list)."""
        import shlex

        env = " ".join(
            f"{k}={shlex.quote(v)}" for k, v in self.env.items() if v is not None and k != "HOME"
        )
        cmd = "augment " + " ".join(shlex.quote(a) for a in self.argv)
        return f"{env} {cmd}".strip()


@dataclass
class Outcome:
    """What an example did and which parts of the contract it broke."""

    family: str
    command: str
    description: str
    code: int | None
    seconds: float
    stderr: str
    violations: list[dict[str, str]]
    folder: str

    def signature(self, v: dict[str, str]) -> str:
        """What makes two violations the same finding: the family, the kind and the stderr
        line with paths, numbers and quoted names blanked out."""
        return f"{self.family}|{v['kind']}|{normalize(v.get('key', ''))}"


def normalize(text: str) -> str:
    """A stderr line with its example-specific parts blanked: paths, ids, numbers, quotes."""
    text = re.sub(r"/[^\s:'\",()]+", "<path>", text)
    text = re.sub(r"'[^']*'|\"[^\"]*\"", "<q>", text)
    text = re.sub(r"\b[0-9a-f]{32}\b", "<id>", text)
    text = re.sub(r"\d+(\.\d+)?", "<n>", text)
    return text[:160]


def make_root(base: Path) -> Path:
    """A fresh example folder under ``base`` with work/, home/, logs/ and tmp/."""
    root = Path(tempfile.mkdtemp(prefix="ex-", dir=base))
    for sub in ("work", "logs", "tmp"):
        (root / sub).mkdir()
    return root


def base_env(example: Example, home: Path, prefect_api: str | None = None) -> dict[str, str]:
    """The example's environment: the store in its folder, one thread, its own HOME, TMPDIR and
    log folder; no Prefect server of ours (the run starts its temporary one, as a user's does)
    unless ``prefect_api`` names one."""
    drop = ("PREFECT_API", "MLFLOW_", "AUGMENT_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop) and "DATABASE" not in k}
    env.pop("PREFECT_HOME", None)
    env |= {
        "OMP_NUM_THREADS": "1",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "NO_ALBUMENTATIONS_UPDATE": "1",
        "DO_NOT_TRACK": "1",
        "MLFLOW_TRACKING_URI": f"sqlite:///{example.cwd / 'mlflow.db'}",
        "HOME": str(home),
        "TMPDIR": str(example.root / "tmp"),
        "AUGMENT_LOG_DIR": str(example.root / "logs"),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    if prefect_api:
        env["PREFECT_API_URL"] = prefect_api
    for key, value in example.env.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


# ---------------------------------------------------------------------------------------------
# snapshots


def _digest(path: Path) -> str:
    mode = os.lstat(path).st_mode
    if not stat.S_ISREG(mode):  # a FIFO would block the read: record what it is
        return f"special:{stat.S_IFMT(mode):o}"
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def snapshot(root: Path, skip: Iterable[Path] = ()) -> dict[str, str]:
    """Every path under ``root`` (not following links) -> its sha256, ``dir`` or ``link:...``."""
    skip = {p.resolve() for p in skip}
    out: dict[str, str] = {}
    if not root.exists():
        return out
    for folder, dirs, files in os.walk(root, followlinks=False):
        here = Path(folder)
        dirs[:] = [d for d in dirs if (here / d).resolve() not in skip]
        for d in dirs:
            p = here / d
            out[str(p)] = f"link:{os.readlink(p)}" if p.is_symlink() else "dir"
        for name in files:
            p = here / name
            try:
                out[str(p)] = f"link:{os.readlink(p)}" if p.is_symlink() else _digest(p)
            except OSError as err:  # unreadable (a socket, a vanished temp file)
                out[str(p)] = f"error:{type(err).__name__}"
    return out


def _within(path: Path, zone: Path) -> bool:
    return path == zone or zone in path.parents


def store_zones(store: Path | None, cwd: Path) -> list[Path]:
    """The SQLite store, its siblings and the artifact folders MLflow may create."""
    zones = [cwd / "mlruns", cwd / "mlartifacts"]
    if store is not None:
        zones += [Path(str(store) + s) for s in ("", "-journal", "-wal", "-shm", ".lock")]
        zones += [store.parent / "mlruns", store.parent / "mlartifacts"]
    return zones


# ---------------------------------------------------------------------------------------------
# processes


def token_processes(token: str) -> list[tuple[int, str]]:
    """The live processes whose environment carries ``token``: (pid, command line)."""
    found = []
    needle = f"{TOKEN_VAR}={token}".encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if needle in (entry / "environ").read_bytes().split(b"\0"):
                cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
                if state != "Z":
                    found.append((int(entry.name), cmd.strip()[:200]))
        except OSError:
            continue
    return found


def end_processes(token: str) -> None:
    """SIGKILL every process that carries ``token`` (all of them started by this example)."""
    for _ in range(3):
        procs = token_processes(token)
        if not procs:
            return
        for pid, _ in procs:
            with suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.5)


def _where_waiting(stderr: str) -> str:
    """From a faulthandler dump: the innermost frames of the main thread (the one whose
    stack starts in the launcher's ``<string>``)."""
    blocks = re.split(r"\n(?=(?:Current thread|Thread) 0x)", stderr)
    stacks = [b.splitlines()[1:] for b in blocks if b.startswith(("Current thread", "Thread 0x"))]
    if not stacks:
        return "no thread dump (the process did not answer SIGUSR1)"
    main = next((s for s in stacks if any('"<string>"' in ln for ln in s)), stacks[-1])
    frames = [ln.strip().removeprefix("File ") for ln in main if ln.strip().startswith("File")]
    inner = [f for f in frames if "/threading.py" not in f][:4] or frames[:4]
    return " <- ".join(inner) or "(no Python frame)"


# ---------------------------------------------------------------------------------------------
# the store


def running_runs(db: Path | None) -> list[str]:
    """Runs with status RUNNING in the SQLite store ``db`` (read from a copy, never opened in
    place, so the check cannot change the store)."""
    if db is None or not db.is_file():
        return []
    with tempfile.TemporaryDirectory(prefix="augment-fuzz-store-") as tmp:
        copy = Path(tmp) / "m.db"
        shutil.copyfile(db, copy)
        wal = Path(str(db) + "-wal")
        if wal.is_file():
            shutil.copyfile(wal, str(copy) + "-wal")
        try:
            con = sqlite3.connect(copy)
            try:
                rows = con.execute("SELECT run_uuid FROM runs WHERE status = 'RUNNING'").fetchall()
            finally:
                con.close()
        except sqlite3.DatabaseError:  # not a database, or no runs table: nothing to check
            return []
    return [r[0] for r in rows]


# ---------------------------------------------------------------------------------------------
# read-only folders


def release_read_only(root: Path) -> None:
    """Undo any ``chattr +i`` left under ``root`` (so the folder can be removed)."""
    if os.geteuid() == 0 and shutil.which("chattr") and root.exists():
        subprocess.run(["chattr", "-R", "-i", str(root)], check=False, capture_output=True)


# ---------------------------------------------------------------------------------------------
# running one example


def run_example(example: Example, home: Path, prefect_api: str | None = None) -> Outcome:
    """Run ``example`` and check the contract; the outcome with every violation found.
    ``prefect_api``: a Prefect server for the run (see `base_env`)."""
    cwd = example.cwd
    zones = [(cwd / example.cache_dir) if example.cache_dir else None]
    zones += store_zones(example.store, cwd)
    outputs = [(cwd / o) for o in example.outputs]
    zones = [z.resolve() if z.exists() else Path(os.path.abspath(z)) for z in zones if z]
    outputs = [Path(os.path.abspath(o)) for o in outputs]
    special = [example.root / "logs", example.root / "tmp", home]
    before = snapshot(example.root, skip=special)
    extra_before = [snapshot(r, skip=special) for r, _ in example.extra_roots]

    token = uuid.uuid4().hex
    env = base_env(example, home, prefect_api) | {TOKEN_VAR: token}
    argv = [sys.executable, "-c", _LAUNCH, str(MEMORY_CAP), *example.argv]
    violations: list[dict[str, str]] = []
    start = time.monotonic()
    proc = subprocess.Popen(
        argv,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    limit = example.stop_after or example.timeout
    try:
        out, err = proc.communicate(timeout=limit)
        code: int | None = proc.returncode
    except subprocess.TimeoutExpired:
        code = None
        with suppress(ProcessLookupError):
            if example.stop_after is None:  # where is it stuck? then unwind as `timeout` would
                proc.send_signal(signal.SIGUSR1)
                time.sleep(3)
            proc.send_signal(signal.SIGTERM)
        try:
            out, err = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
        text = err.decode(errors="replace")
        if example.stop_after is None:
            violations.append(
                {
                    "kind": "timeout",
                    "key": f"no exit within {limit:.0f} s",
                    "detail": f"waiting in: {_where_waiting(text)}",
                }
            )
        else:
            violations.append(
                {
                    "kind": "no-exit",
                    "key": f"still running after {limit:.0f} s",
                    "detail": "expected an error and an exit (it kept serving)",
                }
            )
    seconds = time.monotonic() - start
    stdout = out.decode(errors="replace")
    stderr = err.decode(errors="replace")

    # its processes must end with it
    deadline = time.monotonic() + GRACE
    left = token_processes(token)
    while left and time.monotonic() < deadline:
        time.sleep(0.5)
        left = token_processes(token)
    if left and code is not None:
        violations.append(
            {
                "kind": "leftover-process",
                "key": normalize(left[0][1]),
                "detail": "; ".join(f"{pid}: {cmd}" for pid, cmd in left),
            }
        )
    end_processes(token)

    if code is not None:
        violations += _check_exit(example, code, stderr)
    files = _check_files(example, before, zones, outputs, special)
    if code is None:  # stopped by us: what it left half-done is not a finding of its own
        files = [v for v in files if v["kind"] == "input-modified"]
    violations += files
    for (root, allowed), prior in zip(example.extra_roots, extra_before, strict=True):
        violations += _compare(prior, snapshot(root, skip=special), allowed, [], False, root)
    temp_left = snapshot(example.root / "tmp")
    if temp_left and code is not None:
        names = sorted(os.path.relpath(p, example.root / "tmp") for p in temp_left)
        first = re.sub(r"tmp[\w-]{6,}|-[\w]{8}$", "tmp*", names[0].split("/")[0])
        violations.append({"kind": "temp-left", "key": first, "detail": ", ".join(names[:6])})
    if code is not None:  # a killed process leaves its run RUNNING by definition
        for db in {example.store, *(r / "mlflow.db" for r, _ in example.extra_roots)}:
            runs = running_runs(db)
            if runs:
                violations.append(
                    {"kind": "running-run", "key": "RUNNING", "detail": f"{db}: {runs}"}
                )
    _ = stdout
    return Outcome(
        family=example.family,
        command=example.command_line(),
        description=example.description,
        code=code,
        seconds=round(seconds, 1),
        stderr=stderr[-3000:],
        violations=violations,
        folder=str(example.root),
    )


def _stderr_lines(stderr: str) -> list[str]:
    return [ln for ln in stderr.split("\n") if ln.strip()]


def _check_exit(example: Example, code: int, stderr: str) -> list[dict[str, str]]:
    found = []
    lines = _stderr_lines(stderr)
    first = lines[-1] if lines else ""
    errors = [ln for ln in lines if "error" in ln.lower() or "failed" in ln.lower()]
    key_line = errors[-1] if errors else first
    if code not in ALLOWED_EXITS:
        found.append({"kind": "exit-code", "key": f"exit {code}: {key_line}", "detail": first})
    elif example.expect is not None and code not in example.expect:
        found.append(
            {
                "kind": f"expected-exit-{'/'.join(map(str, sorted(example.expect)))}",
                "key": f"exit {code}: {key_line}",
                "detail": key_line,
            }
        )
    if not example.verbose:
        if "Traceback" in stderr:
            tb = [ln for ln in lines if not ln.startswith((" ", "\t", "Traceback"))]
            last = tb[-1] if tb else "Traceback"
            found.append({"kind": "traceback", "key": last, "detail": last})
        elif len(lines) > MAX_STDERR_LINES:
            found.append(
                {
                    "kind": "stderr-lines",
                    "key": lines[MAX_STDERR_LINES][:80],  # the first line too many
                    "detail": f"{len(lines)} lines: " + " | ".join(lines[:5]),
                }
            )
    if code == 1:
        named = [Path(m) for m in re.findall(r"(/[^\s()]+\.log)", stderr)]
        good = [p for p in named if p.is_file() and "Traceback" in p.read_text(errors="replace")]
        if not good:
            found.append(
                {
                    "kind": "exit1-without-log",
                    "key": key_line,
                    "detail": "exit 1 without a line naming a log file that holds the traceback",
                }
            )
    if code == 2 and example.culprits and lines:
        text = stderr.lower()
        # an example may hold several mistakes; naming any one of them, or a flag with the value
        # it was given (`--n must be ..., got 10**12`), is naming what is wrong
        flagged = re.search(r"(^|\s)--[a-z][\w-]*\b.*\bgot\b", text) is not None
        if not flagged and not any(c.lower() in text for c in example.culprits if c):
            found.append(
                {
                    "kind": "exit2-unnamed",
                    "key": key_line,
                    "detail": f"the line names none of {example.culprits[:4]}",
                }
            )
    return found


def _check_files(
    example: Example,
    before: dict[str, str],
    zones: list[Path],
    outputs: list[Path],
    special: list[Path],
) -> list[dict[str, str]]:
    after = snapshot(example.root, skip=special)
    return _compare(before, after, zones, outputs, example.force, example.root)


def _compare(
    before: dict[str, str],
    after: dict[str, str],
    zones: list[Path],
    outputs: list[Path],
    force: bool,
    root: Path,
) -> list[dict[str, str]]:
    """Changed or deleted files outside the zones (a pre-existing output only with force);
    new files outside the zones and the outputs."""
    found = []

    def rel(p: str) -> str:
        return os.path.relpath(p, root)

    def in_zone(p: Path) -> bool:
        return any(_within(p, z) for z in zones)

    def is_output(p: Path) -> bool:
        return any(_within(p, o) for o in outputs)

    changed = []
    for p, digest in before.items():
        path = Path(p)
        if in_zone(path) or (force and is_output(path)):
            continue
        now = after.get(p)
        if now != digest and not (digest == "dir" and now == "dir"):
            changed.append((rel(p), "deleted" if now is None else "changed"))
    if changed:
        found.append(
            {
                "kind": "input-modified",
                "key": changed[0][1],
                "detail": ", ".join(f"{p} {how}" for p, how in changed[:6]),
            }
        )

    def holds_zone(p: Path) -> bool:  # a new parent folder of an output, the cache or the store
        return after[str(p)] == "dir" and any(_within(z, p) for z in [*zones, *outputs])

    new = [
        p
        for p in after
        if p not in before
        and not in_zone(Path(p))
        and not is_output(Path(p))
        and not holds_zone(Path(p))
    ]
    if new:
        files = sorted(rel(p) for p in new)
        found.append(
            {"kind": "stray-file", "key": files[0].split("/")[0], "detail": ", ".join(files[:6])}
        )
    return found


# ---------------------------------------------------------------------------------------------
# findings: one JSON line per example, shared by pytest-xdist workers through a folder


class Findings:
    """Records every example's outcome in ``folder/<worker>.jsonl`` and keeps this test's."""

    def __init__(self, folder: Path, worker: str, family: str) -> None:
        self.folder = folder
        self.file = folder / f"{worker}.jsonl"
        self.family = family
        self.outcomes: list[Outcome] = []
        self.skipped = 0  # examples not run: the profile's time budget was spent
        self.duplicates = 0  # examples not run: the same recipe was drawn before
        (folder / "failures").mkdir(parents=True, exist_ok=True)

    def record(self, outcome: Outcome) -> None:
        self.outcomes.append(outcome)
        if outcome.violations:  # keep the inputs for a reproduction (not the store)
            keep = (
                self.folder / "failures" / f"{self.family}-{len(self.outcomes):03d}-{os.getpid()}"
            )
            with suppress(OSError):
                shutil.copytree(
                    Path(outcome.folder) / "work",
                    keep,
                    ignore=shutil.ignore_patterns("mlruns", "mlartifacts", ".augment", "*.db*"),
                    symlinks=True,
                )
                outcome.folder = str(keep)
        with open(self.file, "a", encoding="utf-8") as f:
            f.write(json.dumps(asdict(outcome)) + "\n")

    def distinct(self) -> dict[str, tuple[Outcome, dict[str, str]]]:
        """One (outcome, violation) per finding signature."""
        seen: dict[str, tuple[Outcome, dict[str, str]]] = {}
        for o in self.outcomes:
            for v in o.violations:
                seen.setdefault(o.signature(v), (o, v))
        return seen

    def report(self) -> str:
        lines = [
            f"{self.family}: {len(self.outcomes)} example(s) run ({self.duplicates} repeated and"
            f" {self.skipped} over the time budget not run),"
            f" {sum(bool(o.violations) for o in self.outcomes)} broke the contract;"
            f" {len(self.distinct())} distinct finding(s):"
        ]
        for sig, (o, v) in self.distinct().items():
            lines.append(f"- [{v['kind']}] {v.get('detail', '')[:300]}")
            lines.append(f"    $ {o.command}")
            lines.append(f"    input: {o.description[:400]}")
            lines.append(f"    exit {o.code} after {o.seconds} s; kept in {o.folder}")
            err = [ln for ln in _stderr_lines(o.stderr)][:3]
            for ln in err:
                lines.append(f"    stderr: {ln[:240]}")
            _ = sig
        return "\n".join(lines)
