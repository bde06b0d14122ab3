"""From a drawn recipe to an `Example` on disk: the files, the command line, the declared
outputs, the store, and what the contract expects (exit 2 where the input is the user's
mistake for sure, and the name the error line should give)."""

from __future__ import annotations

import json
import os
import pickle
import shutil
import socket
from contextlib import ExitStack, contextmanager
from pathlib import Path

from _cli import read_only
from harness import USER_ERROR_TIMEOUT, Example, make_root
from strategies import (
    CommandRecipe,
    ConfigRecipe,
    EnvRecipe,
    GenerateRecipe,
    ImageRecipe,
    TableRecipe,
)

TINY = ["--epochs", "1", "--seeds", "1"]


def small_table(path: Path) -> None:
    """A valid 40-row table: two features, label ``y`` with classes yes (30) and no (10)."""
    rows = ["a,b,y"] + [
        f"{i * 0.37 % 5:.3f},{i % 3},{'no' if i % 4 == 0 else 'yes'}" for i in range(40)
    ]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")


def _user_error(example: Example, *culprits: str) -> None:
    """The input is a user mistake for sure: exit 2 naming one of ``culprits``."""
    example.expect = {2}
    example.culprits += [c for c in culprits if c]
    example.timeout = min(example.timeout, USER_ERROR_TIMEOUT)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------------------------------------
# tables


def table_example(r: TableRecipe, base: Path) -> Example:
    root = make_root(base)
    path = root / "work" / r.file_name
    r.write(path)
    argv = ["run", f"--data={r.file_name}", f"--label={r.label_arg}", *TINY, f"--arms={r.arms}"]
    argv += ["--json", "out.json", "--no-progress"]
    if r.missing:
        argv.append(f"--missing={r.missing}")
    ex = Example(
        family="tables",
        argv=argv,
        root=root,
        description=r.describe(),
        outputs=["out.json", "out.html"],
        store=root / "work" / "mlflow.db",
    )
    suffix = Path(r.file_name).suffix.lower()
    if r.n_rows == 0 or r.damage in ("empty", "fifo", "device_link") or suffix == ".txt":
        _user_error(ex, r.file_name)
    elif r.label_arg not in r.names or len(r.classes) == 1:
        _user_error(ex, r.file_name, r.label_arg)
    elif r.fmt == "parquet" and suffix == ".csv":
        _user_error(ex, r.file_name)
    return ex


# ---------------------------------------------------------------------------------------------
# image folders


def image_example(r: ImageRecipe, base: Path) -> Example:
    root = make_root(base)
    culprits = r.write(root / "work" / "imgs")
    argv = ["run", "--data=imgs", *TINY, f"--arms={r.arms}", "--json", "out.json", "--no-progress"]
    if r.classifier:
        argv.append(f"--classifier={r.classifier}")
    ex = Example(
        family="images",
        argv=argv,
        root=root,
        description=r.describe(),
        outputs=["out.json", "out.html"],
        store=root / "work" / "mlflow.db",
    )
    counts = [len(images) for images in r.images]
    if culprits:
        _user_error(ex, *culprits, "imgs")  # another problem may be named first
    elif len(r.classes) < 2 or min(counts) < 2:
        _user_error(ex, "imgs")
    return ex


# ---------------------------------------------------------------------------------------------
# configs


def config_example(r: ConfigRecipe, base: Path) -> Example:
    root = make_root(base)
    work = root / "work"
    small_table(work / "t.csv")
    data = r.text.encode(r.encoding, errors="replace")
    if r.target == "run":
        (work / "run.yml").write_bytes(data)
        argv = ["run", "run.yml", "--json", "out.json", "--no-progress"]
        if r.text.strip() in ("", "null", "~"):  # an empty config: the defaults, made tiny here
            argv += ["--data=t.csv", "--label=y", *TINY, "--arms=baseline"]
        env: dict[str, str | None] = {}
        store = work / "mlflow.db"
        zones: list[str] = []
    else:
        (work / "mlflow.yml").write_bytes(data)
        argv = ["run", "--data=t.csv", "--label=y", *TINY, "--arms=baseline", "--no-progress"]
        argv += ["--json", "out.json"]
        env = {"MLFLOW_TRACKING_URI": None}  # the store comes from ./mlflow.yml
        store = work / "mlflow.db"
        zones = ["sub", "mlruns-store", "x.db"]  # the stores the fuzzed mlflow.yml may name
    ex = Example(
        family="configs",
        argv=argv,
        root=root,
        description=r.describe(),
        outputs=["out.json", "out.html", *zones],
        store=store,
        env=env,
    )
    if r.expect_user_error:
        _user_error(ex, *r.culprits, "run.yml" if r.target == "run" else "mlflow.yml")
    return ex


# ---------------------------------------------------------------------------------------------
# environments


BROKEN_STORES = {
    "not_a_db",
    "garbage_db",
    "ro_folder",
    "ro_store",
    "folder_as_db",
    "closed_port",
    "http_404",
    "http_slow",
    "odd_scheme",
    "unset_ro_cwd",
}


@contextmanager
def environment_example(r: EnvRecipe, base: Path, servers: dict, template: Path):
    """The example, with its read-only folders and busy port held while it runs."""
    root = make_root(base)
    work = root / "work"
    small_table(work / "t.csv")
    store: Path | None = work / "mlflow.db"
    uri: str | None = f"sqlite:///{store}"
    frozen: list[Path] = []
    culprits: list[str] = []
    s = r.store
    if s == "sqlite_elsewhere":
        (root / "store").mkdir()
        store = root / "store" / "m.db"
        uri = f"sqlite:///{store}"
    elif s == "not_a_db":
        store.write_text("this is not a database\n")
    elif s == "garbage_db":
        store.write_bytes(b"SQLite format 3\x00" + bytes(range(256)) * 8)
    elif s == "ro_folder":
        (root / "ro").mkdir()
        store = root / "ro" / "mlflow.db"
        uri = f"sqlite:///{store}"
        frozen.append(root / "ro")
    elif s == "ro_store":
        (root / "ro").mkdir()
        store = root / "ro" / "mlflow.db"
        shutil.copyfile(template, store)
        uri = f"sqlite:///{store}"
        frozen.append(root / "ro")
    elif s == "memory":
        store, uri = None, "sqlite:///:memory:"
    elif s == "folder_as_db":
        (work / "adir").mkdir()
        store, uri = None, f"sqlite:///{work / 'adir'}"
    elif s == "missing_parent":
        store = work / "no" / "such" / "m.db"
        uri = f"sqlite:///{store}"
    elif s == "closed_port":
        store, uri = None, f"http://127.0.0.1:{_free_port()}"
    elif s in ("http_404", "http_slow"):
        store, uri = None, servers[s]
    elif s == "file_store":
        store, uri = None, str(work / "filestore")
    elif s == "odd_scheme":
        store, uri = None, f"postgresql://u:p@127.0.0.1:{_free_port()}/db"
    elif s == "unset_ro_cwd":
        store, uri = work / "mlflow.db", None
        frozen.append(work)
        culprits.append(str(work))
    culprits.append(str(store) if store is not None else uri or "mlflow")  # messages name paths
    env: dict[str, str | None] = {"MLFLOW_TRACKING_URI": uri}
    outputs = ["out.json", "out.html", "filestore", "no"]
    cache = ".augment/cache"
    force = False
    held: list[socket.socket] = []
    stop_after = None
    expect_2 = False

    if r.command == "run":
        argv = ["run", "--data=t.csv", "--label=y", *TINY, "--arms=baseline", "--no-progress"]
        json_args = ["--json", "out.json"]
        extra = r.extra
        if extra == "ro_home":
            (root / "rohome").mkdir()
            env["HOME"] = str(root / "rohome")
            frozen.append(root / "rohome")
        elif extra == "ro_cache":
            (work / "ro").mkdir()
            argv.append("--cache-dir=ro/cache")
            cache = "ro/cache"
            frozen.append(work / "ro")
            expect_2 = True
            culprits.append("ro/cache")
        elif extra == "cache_is_file":
            (work / "cachefile").write_text("not a folder\n")
            argv.append("--cache-dir=cachefile")
            cache = None
            expect_2 = True
            culprits.append("cachefile")
        elif extra == "cache_is_input":
            argv.append("--cache-dir=t.csv")
            cache = None
            expect_2 = True
            culprits.append("t.csv")
        elif extra == "json_is_input":
            json_args = ["--json", "t.csv", "--force"]
            outputs.append("t.html")
            expect_2 = True
            culprits.append("t.csv")
        elif extra == "json_exists":
            (work / "existing.json").write_text('{"keep": true}\n')
            json_args = ["--json", "existing.json"]
            outputs.append("existing.json")
            expect_2 = True
            culprits.append("existing.json")
        elif extra == "json_ro":
            (work / "ro").mkdir()
            json_args = ["--json", "ro/out.json"]
            frozen.append(work / "ro")
            expect_2 = True
            culprits.append("ro/out.json")
        elif extra == "json_dot":
            json_args = ["--json", "."]
            expect_2 = True
            culprits += ["--json", " . "]
        elif extra == "report_same_as_json":
            json_args = ["--json", "out.json", "--report", "out.json"]
            expect_2 = True
            culprits.append("out.json")
        elif extra == "prefect_closed":
            env["PREFECT_API_URL"] = f"http://127.0.0.1:{_free_port()}/api"
        elif extra == "prefect_404":
            env["PREFECT_API_URL"] = servers["http_404"] + "/api"
        argv += json_args
        if s in BROKEN_STORES:
            expect_2 = True
    elif r.command == "compare":
        argv = ["compare", "--last", "1"]
        cache = None
    elif r.command == "ui":
        cache = None
        port = {"negative": "-1", "too_big": "65536", "huge": str(2**64)}.get(r.port)
        if port is None:
            sock = socket.socket()
            sock.bind(("127.0.0.1", 0))
            sock.listen(1)
            held.append(sock)
            port = str(sock.getsockname()[1])
        else:
            expect_2 = True
            culprits.append("--port")
        argv = ["ui", "--host", "127.0.0.1", "--port", port]
        stop_after = 45.0
    else:  # generate from a run that does not exist
        argv = ["generate", "runs:/0123456789abcdef0123456789abcdef/generator", "--n", "1"]
        argv += ["--out", "g.csv"]
        cache = None
        expect_2 = True
        outputs.append("g.csv")
        culprits.append(argv[1])
    ex = Example(
        family="environments",
        argv=argv,
        root=root,
        description=r.describe(),
        outputs=outputs,
        force=force,
        cache_dir=cache,
        store=store,
        env=env,
        stop_after=stop_after,
    )
    if expect_2:
        _user_error(ex, *culprits)
    try:
        with read_only(*frozen):
            yield ex
    finally:
        for sock in held:
            sock.close()


# ---------------------------------------------------------------------------------------------
# augment generate


class _Pwn:
    """Unpickling this runs a shell command that leaves ``pwned`` in the working folder."""

    def __reduce__(self):
        return (os.system, ("touch pwned",))


@contextmanager
def generate_example(r: GenerateRecipe, base: Path, models: dict):
    root = make_root(base)
    work = root / "work"
    (work / "notes.txt").write_text("a file of the user's, beside the output\n")
    model = models[r.model]
    (root / "store").mkdir()
    db = root / "store" / "mlflow.db"
    shutil.copyfile(models["db"], db)  # the artifacts stay shared (read-only by contract)
    model_dir = Path(model["model_dir"])
    expect_2, culprits, exits = False, [], None
    uri = f"runs:/{model['run_id']}/generator"
    valid_uri = r.uri in ("valid", "local_dir")
    if r.uri == "missing_run":
        uri = "runs:/0123456789abcdef0123456789abcdef/generator"
        expect_2 = True
    elif r.uri == "bad_artifact":
        uri = f"runs:/{model['run_id']}/nope"
        expect_2 = True
    elif r.uri == "models_alias":
        uri = "models:/augment-generator@current"
        expect_2 = True
    elif r.uri == "local_dir":
        uri = str(model_dir)
    elif r.uri in ("tampered_weights", "pickle_weights", "tampered_meta"):
        copy = work / "model_copy"
        shutil.copytree(model_dir, copy)
        weights = next(copy.glob("artifacts/*.pt"))
        if r.uri == "tampered_weights":
            data = bytearray(weights.read_bytes())
            data[len(data) // 2 : len(data) // 2 + 64] = b"\x00" * 64
            weights.write_bytes(bytes(data))
        elif r.uri == "pickle_weights":
            weights.write_bytes(pickle.dumps(_Pwn()))
        else:
            meta = copy / "artifacts" / "generator_meta.json"
            values = json.loads(meta.read_text())
            values["class_names"] = "<script>"
            meta.write_text(json.dumps(values)[:-3])
        uri = "model_copy"
        exits = {1, 2}
    elif r.uri == "empty":
        uri = ""
        expect_2 = True
    elif r.uri == "traversal":
        uri = f"runs:/{model['run_id']}/../../../../../../etc"
        expect_2 = True
    if not valid_uri:
        culprits.append(uri or "model")
    out = r.out
    outputs = [out] if out not in ("", ".") else []
    frozen = []
    force = r.force
    bad_out = False  # the --out itself is a user mistake
    if out == "existing.csv":
        (work / "existing.csv").write_text("keep,me\n1,2\n")
        bad_out = not r.force
    elif out == "existing_dir":
        (work / "existing_dir").mkdir()
        (work / "existing_dir" / "keep.txt").write_text("keep me\n")
        bad_out = not r.force
    elif out == "inside_model":
        out, outputs, bad_out = str(model_dir / "artifacts" / "out.csv"), [], True
    elif out == "store_db":
        out, outputs, bad_out = str(db), [], True
    elif out == "ro/out.csv":
        (work / "ro").mkdir()
        frozen.append(work / "ro")
        bad_out = True
    elif out in ("", ".", "out.txt"):
        bad_out = out in ("", ".") or r.model == "table"  # the guard refuses `.` (outputs.py)
        outputs = [] if out != "out.txt" else outputs
        force = False  # `.` holds the user's files: never theirs to replace
    if r.model == "image" and out.endswith((".csv", ".parquet")):
        bad_out = True
    if r.model == "table" and out in ("gen", "existing_dir"):
        bad_out = True
    if bad_out:
        expect_2 = True
        culprits.append(out or "--out")
    if out == "../outside.csv":
        outputs = [str(root / "outside.csv")]
    # out of any range: below 1 sample, 2**31 samples per class or more, a negative seed or
    # one no generator takes (2**64); other large values may run or be refused by name
    if r.n < 1 or r.n >= 2**31:
        expect_2 = True
    if r.seed < 0 or r.seed >= 2**64:
        expect_2 = True
    culprits += ["--n", "--seed"]
    unknown = [c for c in r.classes if c not in ("a", "b")]
    if unknown:
        expect_2 = True
        culprits += [c or "''" for c in unknown]  # an empty name is named as '' (its repr)
    argv = ["generate", uri, "--n", str(r.n), "--out", out, "--seed", str(r.seed)]
    for c in r.classes:
        argv.append(f"--class={c}")
    if r.force:
        argv.append("--force")
    ex = Example(
        family="generate",
        argv=argv,
        root=root,
        description=r.describe(),
        outputs=outputs + (["."] if r.out == "." else []),
        force=force,
        cache_dir=None,
        store=db,
        env={"MLFLOW_TRACKING_URI": f"sqlite:///{db}"},
        extra_roots=[(Path(models["root"]), [Path(models["db"])])],
    )
    if exits:  # a damaged model: exit 1 (integrity) or 2, whatever else is wrong
        ex.expect = exits
        ex.culprits += culprits
    elif expect_2:
        _user_error(ex, *culprits)
    with ExitStack() as stack:
        stack.enter_context(read_only(*frozen))
        yield ex


# ---------------------------------------------------------------------------------------------
# compare / serve


@contextmanager
def command_example(
    r: CommandRecipe, base: Path, servers: dict, models: dict | None, template: Path
):
    root = make_root(base)
    work = root / "work"
    small_table(work / "data.csv")
    small_table(work / "t.csv")
    (work / "ro").mkdir()
    (root / "store").mkdir()
    db = root / "store" / "mlflow.db"
    if r.store == "with_runs" and models is not None:
        shutil.copyfile(models["db"], db)
    elif r.store == "empty":
        shutil.copyfile(template, db)
    env: dict[str, str | None] = {"MLFLOW_TRACKING_URI": f"sqlite:///{db}"}
    outputs: list[str] = []
    if r.command == "compare":
        args = list(r.args)
        if "--plot" in args:
            plot = args[args.index("--plot") + 1]
            if plot not in ("data.csv", "."):
                outputs.append(plot)
        argv = ["compare", *args]
    else:
        (work / "run.yml").write_text(
            "data: {source: t.csv, label: y}\ngan: {epochs: 1}\nseeds: 1\narms: [baseline]\n"
        )
        (work / "bad.yml").write_text("seeds: -1\nsedes: 2\n")
        argv = ["serve", *r.args]
        if r.prefect == "closed":
            env["PREFECT_API_URL"] = f"http://127.0.0.1:{_free_port()}/api"
        elif r.prefect == "http_404":
            env["PREFECT_API_URL"] = servers["http_404"] + "/api"
    ex = Example(
        family="commands",
        argv=argv,
        root=root,
        description=r.describe(),
        outputs=outputs,
        cache_dir=None,
        store=db,
        env=env,
        stop_after=60.0 if r.command == "serve" else None,
    )
    if r.expect_user_error and (r.command == "compare" or r.prefect == "unset"):
        _user_error(ex)
    with read_only(work / "ro"):
        yield ex
