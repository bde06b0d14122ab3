"""Mutation testing by hand on a random sample of mutants (issue 14; not part of CI).

mutmut could not collect ``tests/test_sampler.py`` (imblearn's parametrised estimator checks),
so this small tool does the same job: it makes mutmut-style mutants of the named modules
(comparison, arithmetic and boolean operators swapped, ``not`` dropped, numbers bumped,
True/False flipped, strings changed, assigned/returned values replaced by None, break/continue
swapped), draws a seeded random sample, and runs the chosen fast tests against each mutant in a
copy of the source tree. A mutant is *killed* when the tests fail, error or time out.

Speed: a parent process imports the heavy third-party libraries once (torch, pandas, sklearn,
...), then forks one child per mutant that imports ``augment`` afresh and runs ``pytest.main``.

Usage::

    python benchmarks/mutation/sample_mutants.py --group sampler --files augment/sampler.py \
        --tests tests/test_sampler.py --sample 60 --seed 14 --out /tmp/mut14/sampler.jsonl
    # later, the same sample again (or only the ids that survived):
    ... --only /tmp/mut14/sampler.survivors --out /tmp/mut14/sampler_after.jsonl
"""

from __future__ import annotations

import argparse
import ast
import copy
import json
import os
import random
import shutil
import signal
import sys
import time
from pathlib import Path

CMP = {
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
}
BIN = {
    ast.Add: ast.Sub,
    ast.Sub: ast.Add,
    ast.Mult: ast.Div,
    ast.Div: ast.Mult,
    ast.FloorDiv: ast.Div,
    ast.Mod: ast.FloorDiv,
    ast.Pow: ast.Mult,
    ast.BitOr: ast.BitAnd,
    ast.BitAnd: ast.BitOr,
    ast.LShift: ast.RShift,
    ast.RShift: ast.LShift,
}
LOGGERS = {"log", "logging", "logger", "warnings"}


def _parents(tree: ast.AST) -> dict[ast.AST, ast.AST]:
    return {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}


def _skipped(tree: ast.AST, parents: dict) -> set[ast.AST]:
    """Nodes not worth mutating: docstrings, annotations, f-string parts, log calls."""
    skip: set[ast.AST] = set()

    def all_of(node):
        skip.update(ast.walk(node))

    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                all_of(body[0])
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.returns:
            all_of(node.returns)
        if isinstance(node, ast.arg) and node.annotation:
            all_of(node.annotation)
        if isinstance(node, ast.AnnAssign):
            all_of(node.annotation)
        if isinstance(node, ast.JoinedStr):
            all_of(node)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            base = node.func.value
            if isinstance(base, ast.Name) and base.id in LOGGERS:
                all_of(node)
        if isinstance(node, ast.Raise) and node.exc is not None:
            # the message text: a changed message is caught only by tests that read it
            skip.update(n for n in ast.walk(node.exc) if isinstance(n, ast.Constant))
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            all_of(node)
    return skip


def _variants(node: ast.AST, parents: dict):
    """(new node or source text, operator name) for each mutant of ``node``."""
    if isinstance(node, ast.Compare):
        for i, op in enumerate(node.ops):
            if type(op) in CMP:
                new = copy.deepcopy(node)
                new.ops[i] = CMP[type(op)]()
                yield new, f"cmp {type(op).__name__}->{CMP[type(op)].__name__}"
    elif isinstance(node, ast.BinOp) and type(node.op) in BIN:
        new = copy.deepcopy(node)
        new.op = BIN[type(node.op)]()
        yield new, f"binop {type(node.op).__name__}->{type(new.op).__name__}"
    elif isinstance(node, ast.AugAssign) and type(node.op) in BIN:
        new = copy.deepcopy(node)
        new.op = BIN[type(node.op)]()
        yield new, f"augassign {type(node.op).__name__}->{type(new.op).__name__}"
    elif isinstance(node, ast.BoolOp):
        new = copy.deepcopy(node)
        new.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
        yield new, f"boolop {type(node.op).__name__}->{type(new.op).__name__}"
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.Not, ast.USub, ast.Invert)):
        yield copy.deepcopy(node.operand), f"unary drop {type(node.op).__name__}"
    elif isinstance(node, ast.Constant):
        v = node.value
        if isinstance(v, bool):
            yield ast.Constant(not v), f"const {v}->{not v}"
        elif isinstance(v, int):
            yield ast.Constant(v + 1), f"const {v}->{v + 1}"
        elif isinstance(v, float):
            yield ast.Constant(v + 1.0), f"const {v}->{v + 1.0}"
        elif isinstance(v, str):
            yield ast.Constant(f"XX{v}XX"), "const str->XXstrXX"
    elif isinstance(node, ast.Return) and node.value is not None:
        if not (isinstance(node.value, ast.Constant) and node.value.value is None):
            yield ("value", ast.Constant(None)), "return -> None"
    elif isinstance(node, ast.Assign) and len(node.targets) == 1:
        if not (isinstance(node.value, ast.Constant) and node.value.value is None):
            yield ("value", ast.Constant(None)), "assign -> None"
    elif isinstance(node, ast.Break):
        yield "continue", "break->continue"
    elif isinstance(node, ast.Continue):
        yield "break", "continue->break"


def _offsets(text: bytes) -> list[int]:
    starts, pos = [0], 0
    for line in text.splitlines(keepends=True):
        pos += len(line)
        starts.append(pos)
    return starts


def mutants(root: Path, rel: str) -> list[dict]:
    """Every mutant of one file: id, operator, line, and the mutated source."""
    text = (root / rel).read_bytes()
    tree = ast.parse(text)
    parents = _parents(tree)
    skip = _skipped(tree, parents)
    starts = _offsets(text)
    out, seen = [], set()
    for node in ast.walk(tree):
        if node in skip or not hasattr(node, "lineno"):
            continue
        for n, (new, op) in enumerate(_variants(node, parents)):
            target = node
            if isinstance(new, tuple):  # replace a child (the value) of a statement
                target, new = getattr(node, new[0]), new[1]
            src = new if isinstance(new, str) else ast.unparse(new)
            if isinstance(target, ast.expr):
                src = f"({src})"  # keeps precedence wherever the expression sits
            a = starts[target.lineno - 1] + target.col_offset
            b = starts[target.end_lineno - 1] + target.end_col_offset
            mutated = text[:a] + src.encode() + text[b:]
            if mutated in seen:
                continue
            try:
                ast.parse(mutated)
            except SyntaxError:
                continue
            seen.add(mutated)
            mid = f"{rel}:{target.lineno}:{target.col_offset}:{op}:{n}"
            old = text[a:b].decode(errors="replace").splitlines()
            out.append(
                {
                    "id": mid,
                    "file": rel,
                    "line": target.lineno,
                    "op": op,
                    "old": (old[0] + (" ..." if len(old) > 1 else "")) if old else "",
                    "new": src,
                    "text": mutated,
                }
            )
    return out


def _run_child(args: list[str], log_path: Path) -> None:
    fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    try:
        import pytest

        rc = int(pytest.main(args))
    except BaseException:  # noqa: BLE001 - anything raised is a failed run
        rc = 99
    os._exit(rc)


def run(src_root: Path, rel: str, text: bytes | None, args: list[str], timeout: float, log_path):
    """Run the tests with ``rel`` replaced by ``text`` (None: unchanged); (status, seconds)."""
    target = src_root / rel
    original = target.read_bytes()
    if text is not None:
        target.write_bytes(text)
    t0 = time.monotonic()
    try:
        pid = os.fork()
        if pid == 0:
            _run_child(args, log_path)
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            if time.monotonic() - t0 > timeout:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                return "timeout", time.monotonic() - t0
            time.sleep(0.05)
    finally:
        target.write_bytes(original)
    rc = os.waitstatus_to_exitcode(status)
    return ("survived" if rc == 0 else f"killed(rc={rc})"), time.monotonic() - t0


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repo", default=str(Path(__file__).resolve().parents[2]))
    p.add_argument("--work", default="/tmp/mut14/src", help="copy of the repo the mutants go in")
    p.add_argument("--group", required=True)
    p.add_argument("--files", nargs="+", required=True, help="modules to mutate (repo paths)")
    p.add_argument("--tests", nargs="+", required=True, help="pytest arguments (fast tests)")
    p.add_argument("--sample", type=int, default=60)
    p.add_argument("--seed", type=int, default=14)
    p.add_argument("--only", help="file of mutant ids to run (e.g. the survivors)")
    p.add_argument("--timeout", type=float, default=0, help="per mutant; 0: 3x clean run + 15s")
    p.add_argument("--out", required=True)
    p.add_argument("--list", action="store_true", help="only count and list the sample")
    a = p.parse_args()

    repo, work = Path(a.repo), Path(a.work)
    if work.exists():
        shutil.rmtree(work)
    shutil.copytree(
        repo, work, ignore=shutil.ignore_patterns(".git", "__pycache__", ".venv", "mlruns")
    )
    everything = [m for f in a.files for m in mutants(work, f)]
    sample = random.Random(a.seed).sample(everything, min(a.sample, len(everything)))
    if a.only:
        wanted = set(Path(a.only).read_text().split("\n")) - {""}
        sample = [m for m in sample if m["id"] in wanted]
    print(f"{a.group}: {len(everything)} mutants generated, {len(sample)} to run", flush=True)
    if a.list:
        for m in sample:
            print(m["id"], "|", m["old"], "->", m["new"])
        return

    sys.dont_write_bytecode = True  # a mutant of the same size and mtime must not reuse a .pyc
    os.chdir(work)
    sys.path.insert(0, str(work))
    for mod in ("numpy", "pandas", "scipy", "torch", "sklearn", "imblearn", "PIL", "hypothesis"):
        __import__(mod)  # once, in the parent; each child imports only augment afresh
    args = ["-x", "-q", "-p", "no:cacheprovider", "-m", "not server", *a.tests]
    logs = Path(a.out).with_suffix(".logs")
    logs.mkdir(parents=True, exist_ok=True)
    status, clean = run(work, a.files[0], None, args, 900, logs / "clean.txt")
    print(f"clean run: {status} in {clean:.1f}s", flush=True)
    if status != "survived":
        sys.exit(f"the tests fail without any mutant; see {logs / 'clean.txt'}")
    timeout = a.timeout or 3 * clean + 15
    counts: dict[str, int] = {}
    with open(a.out, "w") as out:
        for i, m in enumerate(sample):
            st, secs = run(work, m["file"], m["text"], args, timeout, logs / f"{i:03d}.txt")
            kind = "survived" if st == "survived" else "killed"
            counts[kind] = counts.get(kind, 0) + 1
            rec = {k: v for k, v in m.items() if k != "text"} | {"status": st, "s": round(secs, 1)}
            out.write(json.dumps(rec) + "\n")
            out.flush()
            print(f"[{i + 1}/{len(sample)}] {st:14s} {secs:5.1f}s {m['id']}", flush=True)
    print(f"{a.group}: {counts}", flush=True)


if __name__ == "__main__":
    main()
