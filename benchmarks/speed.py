"""How the tabular GAN's cost grows: fit + sample time and peak RSS vs rows, columns, classes.

Every case runs in a fresh process (a child that starts the worker and reads the worker's peak
RSS with ``resource.getrusage(RUSAGE_CHILDREN)``), at 1 torch thread and at all cores. The table
is synthetic (`make_table`): 60% continuous columns (normal, bimodal, log-normal, counts), 40%
text categories (2-20 values), each shifted by an imbalanced label. Training runs a fixed number
of epochs (``--epochs``), so the time also shows how the steps per epoch grow with the rows, or
``ceil(a * sqrt(rows))`` steps with ``--step-budget a``.

    python -m benchmarks.speed --quick            # small grid (a few minutes)
    python -m benchmarks.speed                    # rows 1k..100k, columns 10..500, classes 2..200
    python -m benchmarks.speed --million          # adds 1M rows
    python -m benchmarks.speed --resample --threads 1 --csv ../shared/data/keel/x.csv --mixed
        # whole ConditionalGANOverSampler(random_state=0).fit_resample at its defaults (one-off
        # costs included) on a CSV (label column "label") and the 10k x 20 x 3 mixed table;
        # --ctgan: each followed by the ctgan package's fit + conditional sample of the same rows
    python -m benchmarks.speed --scale --million --step-budget 1
        # the grid above through the whole fit_resample (selection included), with the fit's
        # CPU seconds, its own peak RSS and the load average beside the wall seconds

Prints a markdown table and writes it as JSON (``--json``).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

# (rows, columns, classes) of each axis; the other two stay at the base case
BASE = (10_000, 20, 3)
FULL = {
    "rows": [1_000, 10_000, 100_000],
    "columns": [10, 50, 100, 500],
    "classes": [2, 20, 200],
}
QUICK = {"rows": [1_000, 10_000], "columns": [10, 100], "classes": [2, 20]}
QUICK_BASE = (1_000, 20, 3)


def make_table(
    n: int, n_cols: int, n_classes: int, seed: int = 0, minority: float | None = None
) -> tuple[pd.DataFrame, np.ndarray]:
    """``n`` rows x ``n_cols`` mixed features with ``n_classes`` imbalanced labels (every class
    has at least 2 rows); ``minority``: the last class's share of the rows."""
    rng = np.random.default_rng(seed)
    p = 1 / np.sqrt(np.arange(1, n_classes + 1))  # imbalanced: class i ~ 1 / sqrt(i + 1)
    p /= p.sum()
    if minority is not None:  # the others keep their proportions
        p = np.r_[p[:-1] / p[:-1].sum() * (1 - minority), minority]
    y = rng.choice(n_classes, n, p=p)
    y[: 2 * n_classes] = np.arange(2 * n_classes) % n_classes
    centred = (y - y.mean()) / max(y.std(), 1e-9)
    cols = {}
    n_cont = int(round(n_cols * 0.6))
    for j in range(n_cont):
        shift = centred * (0.5 + 0.1 * (j % 7))
        kind = j % 4
        if kind == 0:
            v = rng.normal(shift, 1.0)
        elif kind == 1:
            v = np.where(rng.random(n) < 0.4, rng.normal(-3 + shift, 0.5), rng.normal(4 + shift, 1))
        elif kind == 2:
            v = rng.lognormal(0.5 + 0.3 * np.tanh(centred), 0.7) * 1000
        else:
            v = rng.poisson(3 + np.clip(2 + centred, 0, None)).astype(np.int64)
        cols[f"c{j}"] = v
    for j in range(n_cols - n_cont):
        k = [2, 3, 5, 8, 12, 20, 4, 6][j % 8]
        base = rng.choice(k, n, p=rng.dirichlet(np.ones(k)))
        shifted = np.where(rng.random(n) < 0.3, (base + y) % k, base)
        cols[f"d{j}"] = np.array([f"v{i}" for i in range(k)], dtype=object)[shifted]
    return pd.DataFrame(cols), y


def _table(case: dict) -> tuple[pd.DataFrame, np.ndarray]:
    """The case's table: a CSV (``case["csv"]``, label column "label") or `make_table`."""
    if case.get("csv"):
        X = pd.read_csv(case["csv"])
        return X.drop(columns="label"), X["label"].to_numpy()
    return make_table(case["rows"], case["columns"], case["classes"], minority=case.get("minority"))


def _peak_mb() -> float:
    """This process's peak RSS so far, MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def resample_work(case: dict) -> dict:
    """Time one whole ``ConditionalGANOverSampler(random_state=0).fit_resample`` (its defaults
    but for ``case["epochs"]`` / ``case["step_budget"]`` when given) in this fresh process.

    The GAN's ``fit`` is timed apart (wall and CPU seconds, the peak RSS when it returns); the
    rest (``sample``) is the generation of the candidates, the selection and the concatenation.
    """
    import torch

    from augment import ConditionalGANOverSampler
    from augment.gan.tabular import TabularCGAN, batch_plan

    torch.set_num_threads(case["threads"])
    X, y = _table(case)
    table_mb = _peak_mb()
    fits: list[dict] = []
    fit = TabularCGAN.fit

    def timed_fit(self, *args, **kwargs):  # the sampler's own fit call, timed
        wall, cpu = time.perf_counter(), time.process_time()
        out = fit(self, *args, **kwargs)
        fits.append(
            {
                "fit_s": time.perf_counter() - wall,
                "fit_cpu_s": time.process_time() - cpu,
                "fit_peak_mb": _peak_mb(),
            }
        )
        return out

    TabularCGAN.fit = timed_fit  # this worker process only
    given = {k: case[k] for k in ("epochs", "step_budget") if case.get(k) is not None}
    sampler = ConditionalGANOverSampler(random_state=0, **given)
    load = os.getloadavg()[0]
    start, cpu = time.perf_counter(), time.process_time()
    X_res, _ = sampler.fit_resample(X, y)
    resample_s, resample_cpu_s = time.perf_counter() - start, time.process_time() - cpu
    gan = sampler.generator_
    steps_per_epoch = batch_plan(len(X), sampler.batch_size, sampler.pac)[2]
    return {
        "resample_s": resample_s,
        "resample_cpu_s": resample_cpu_s,
        **fits[0],
        "sample_s": resample_s - fits[0]["fit_s"],
        "sample_cpu_s": resample_cpu_s - fits[0]["fit_cpu_s"],
        "table_mb": table_mb,
        "steps": steps_per_epoch * len(gan.history_.rows),
        "rows_added": len(X_res) - len(X),
        "encoded_dim": gan.transformer_.output_dim_,
        "load_start": load,
        "load_end": os.getloadavg()[0],
    }


def ctgan_work(case: dict) -> dict:
    """`ctgan` (its defaults: 300 epochs, batch 500, pac 10) fitted on the case's table with the
    label as a discrete column, then conditional sampling of the rows the over-sampler would
    add (imbalanced-learn's ``"auto"`` plan, class by class): the peer's fit + sample of the
    same rows, timed like `resample_work`. Needs ``ctgan`` installed (not a dependency)."""
    import torch
    from ctgan import CTGAN
    from imblearn.utils import check_sampling_strategy

    torch.set_num_threads(case["threads"])
    X, y = _table(case)
    table_mb = _peak_mb()
    frame = X.assign(label=np.asarray(y).astype(str))
    discrete = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
    plan = check_sampling_strategy("auto", np.asarray(y), "over-sampling")
    given = {"epochs": case["epochs"]} if case.get("epochs") is not None else {}
    model = CTGAN(**given)
    load = os.getloadavg()[0]
    start, cpu = time.perf_counter(), time.process_time()
    model.fit(frame, discrete_columns=discrete)
    fit_s, fit_cpu_s = time.perf_counter() - start, time.process_time() - cpu
    added = 0
    for cls, n in plan.items():
        if n > 0:
            added += len(model.sample(n, condition_column="label", condition_value=str(cls)))
    resample_s, resample_cpu_s = time.perf_counter() - start, time.process_time() - cpu
    return {
        "model": "ctgan",
        "resample_s": resample_s,
        "resample_cpu_s": resample_cpu_s,
        "fit_s": fit_s,
        "fit_cpu_s": fit_cpu_s,
        "fit_peak_mb": _peak_mb(),
        "sample_s": resample_s - fit_s,
        "sample_cpu_s": resample_cpu_s - fit_cpu_s,
        "table_mb": table_mb,
        "steps": model._epochs * max(len(frame) // model._batch_size, 1),
        "rows_added": added,
        "load_start": load,
        "load_end": os.getloadavg()[0],
    }


def work(case: dict) -> dict:
    """Fit the GAN on one synthetic table and sample as many rows; runs in the worker process."""
    import torch

    from augment import TabularCGAN
    from augment.gan.tabular import batch_plan
    from augment.gan_settings import TabularGANConfig

    threads = case["threads"]
    torch.set_num_threads(threads)
    X, y = _table(case)
    cfg = TabularGANConfig(
        epochs=case["epochs"],
        step_budget=case.get("step_budget"),
        num_threads=threads,
        device="cpu",
    )
    steps_per_epoch = batch_plan(len(X), cfg.batch_size, cfg.pac)[2]
    ends: list[float] = []  # when each epoch ended: steps timed apart from the set-up
    start = time.perf_counter()
    gan = TabularCGAN(cfg, random_state=0, progress=False).fit(
        X, y, callback=lambda epoch, row: ends.append(time.perf_counter())
    )
    fit_s = time.perf_counter() - start
    # one step's time from the epochs after the first (the first may carry one-off costs)
    timed = ends[-1] - ends[0] if len(ends) > 1 else ends[0] - start
    step_s = timed / (steps_per_epoch * max(len(ends) - 1, 1))
    counts = np.bincount(y, minlength=case["classes"])
    start = time.perf_counter()
    for c in np.flatnonzero(counts):
        gan.sample(int(counts[c]), int(c), random_state=1)
    sample_s = time.perf_counter() - start
    steps = steps_per_epoch * len(gan.history_.rows)
    return {
        "fit_s": fit_s,
        "sample_s": sample_s,
        "steps": steps,
        "ms_per_step": 1e3 * step_s,
        "setup_s": fit_s - step_s * steps,  # encoder (mixtures), condition tables, networks
        "encoded_dim": gan.transformer_.output_dim_,
    }


def _run(flag: str, case: dict, env: dict | None = None) -> dict:
    """``python -m benchmarks.speed <flag> <case>`` in a child process; its last JSON line."""
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.speed", flag, json.dumps(case)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        return {**case, "error": (out.stderr.strip().splitlines() or ["?"])[-1][:120]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure(case: dict) -> dict:
    """Run `work` in a worker process, this process's only child, and add its peak RSS.

    Called in a fresh process per case (``--case``): ``RUSAGE_CHILDREN`` keeps the largest peak
    of all children ever waited for, so a long-lived parent would report the largest case so far.
    """
    threads = str(case["threads"])
    env = dict(os.environ, OMP_NUM_THREADS=threads, MKL_NUM_THREADS=threads)
    start = time.perf_counter()
    out = _run("--work", case, env)
    out["process_s"] = time.perf_counter() - start
    if "error" not in out:
        child = resource.getrusage(resource.RUSAGE_CHILDREN)
        out = {
            **case,
            **out,
            "peak_rss_mb": child.ru_maxrss / 1024,  # KiB on Linux
            "process_cpu_s": child.ru_utime + child.ru_stime,
        }
    return out


def cases(grid: dict, base: tuple[int, int, int], epochs: int, threads: list[int]) -> list[dict]:
    """One case per value of each axis (the others at ``base``), per thread count; no repeats."""
    seen, out = set(), []
    for axis, values in grid.items():
        for v in values:
            shape = dict(zip(("rows", "columns", "classes"), base, strict=True), **{axis: v})
            for t in threads:
                key = (shape["rows"], shape["columns"], shape["classes"], t)
                if key not in seen:
                    seen.add(key)
                    out.append({**shape, "threads": t, "epochs": epochs, "axis": axis})
    return out


def resample_cases(csvs: list[str], mixed: bool, threads: list[int], a) -> list[dict]:
    """A `resample_work` case per table (each CSV, the 10k x 20 x 3 mixed one) and thread count."""
    tables = [{"csv": c, "axis": Path(c).stem} for c in csvs]
    if mixed or not csvs:
        tables.append(dict(zip(("rows", "columns", "classes"), BASE, strict=True), axis="mixed"))
    knobs = {"epochs": a.epochs, "step_budget": a.step_budget, "resample": True}
    ours = [{**t, **knobs, "threads": n} for t in tables for n in threads]
    if not a.ctgan:
        return ours
    peer = {"resample": True, "ctgan": True, "epochs": a.ctgan_epochs}
    return [c for case in ours for c in (case, {**case, **peer, "step_budget": None})]


def scale_markdown(rows: list[dict]) -> str:
    """The ``--scale`` table: one line per case, wall and CPU seconds side by side."""
    lines = [
        "| axis | rows | columns | classes | threads | encoded dim | steps | rows added |"
        " fit CPU s | fit wall s | sample CPU s | sample wall s | peak RSS MB |"
        " fit peak MB | load 1 min |",
        "|" + "---|" * 15,
    ]
    for r in rows:
        head = f"| {r['axis']} | {r['rows']:,} | {r['columns']} | {r['classes']} | {r['threads']} |"
        if "error" in r:
            lines.append(f"{head} error: {r['error']} |" + " |" * 9)
            continue
        lines.append(
            f"{head} {r['encoded_dim']} | {r['steps']} | {r['rows_added']:,} |"
            f" {r['fit_cpu_s']:.1f} | {r['fit_s']:.1f} | {r['sample_cpu_s']:.1f} |"
            f" {r['sample_s']:.1f} | {r['peak_rss_mb']:.0f} | {r['fit_peak_mb']:.0f} |"
            f" {r['load_start']:.1f}-{r['load_end']:.1f} |"
        )
    return "\n".join(lines)


def resample_markdown(rows: list[dict]) -> str:
    """The ``--resample`` table; with ``--ctgan`` each of ours is followed by the peer's run
    on the same table and threads, and ours gets the ratio of CPU seconds (peer / ours)."""
    lines = [
        "| table | model | threads | steps | fit + sample s | CPU s | ctgan / ours (CPU) |"
        " rows added | peak RSS MB |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    peers = {(r["axis"], r["threads"]): r for r in rows if r.get("ctgan") and "error" not in r}
    for r in rows:
        model = "ctgan" if r.get("ctgan") else "ours"
        head = f"| {r['axis']} | {model} | {r['threads']} |"
        if "error" in r:
            lines.append(f"{head} error: {r['error']} |" + " |" * 5)
            continue
        peer = None if r.get("ctgan") else peers.get((r["axis"], r["threads"]))
        ratio = f"{peer['resample_cpu_s'] / r['resample_cpu_s']:.1f}x" if peer else ""
        lines.append(
            f"{head} {r['steps']} | {r['resample_s']:.2f} | {r['resample_cpu_s']:.2f} | {ratio} |"
            f" {r['rows_added']} | {r['peak_rss_mb']:.0f} |"
        )
    return "\n".join(lines)


def markdown(rows: list[dict]) -> str:
    cols = [
        "axis",
        "rows",
        "columns",
        "classes",
        "threads",
        "encoded dim",
        "steps",
        "fit s",
        "set-up s",
        "ms/step",
        "sample s",
        "peak RSS MB",
    ]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for r in rows:
        shape = (
            f"| {r['axis']} | {r['rows']:,} | {r['columns']} | {r['classes']} | {r['threads']} |"
        )
        if "error" in r:
            lines.append(f"{shape} error: {r['error']} |" + " |" * (len(cols) - 6))
            continue
        lines.append(
            f"{shape} {r['encoded_dim']} | {r['steps']} | {r['fit_s']:.2f} | {r['setup_s']:.2f} | "
            f"{r['ms_per_step']:.1f} | {r['sample_s']:.2f} | {r['peak_rss_mb']:.0f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks.speed",
        description="Tabular GAN fit + sample time and peak RSS as rows, columns and classes grow.",
    )
    p.add_argument(
        "--quick",
        action="store_true",
        help="small grid: rows 1k/10k, columns 10/100, classes 2/20 around 1k x 20 x 3",
    )
    p.add_argument("--million", action="store_true", help="add a 1M-row case (slow, several GB)")
    p.add_argument(
        "--epochs",
        type=int,
        default=None,
        help="training epochs per case (default: 10, --quick: 2; --resample: the sampler's)",
    )
    p.add_argument(
        "--step-budget",
        type=float,
        default=None,
        help="train ceil(a * sqrt(rows)) steps instead of --epochs (TabularGANConfig.step_budget)",
    )
    p.add_argument(
        "--resample",
        action="store_true",
        help="time whole ConditionalGANOverSampler(random_state=0).fit_resample calls instead",
    )
    p.add_argument(
        "--scale",
        action="store_true",
        help="the synthetic grid (--quick / full, --million) through the whole fit_resample",
    )
    p.add_argument(
        "--only",
        default=None,
        help="--scale: these shapes instead of the grid, ;-separated rows,columns,classes: "
        "1000000,20,3;1000,20,3",
    )
    p.add_argument(
        "--minority",
        type=float,
        default=None,
        help="--scale: the last class's share of the rows (default: class i ~ 1/sqrt(i))",
    )
    p.add_argument(
        "--csv", action="append", default=[], help="--resample: a table (label column 'label')"
    )
    p.add_argument("--mixed", action="store_true", help="--resample: the 10k x 20 x 3 mixed table")
    p.add_argument(
        "--ctgan",
        action="store_true",
        help="--resample: also time the ctgan package (fit + conditional sample of the same rows)",
    )
    p.add_argument(
        "--ctgan-epochs", type=int, default=None, help="--ctgan: its epochs (default: ctgan's 300)"
    )
    p.add_argument(
        "--threads", default="1,all", help="comma-separated torch thread counts; 'all' = every core"
    )
    p.add_argument(
        "--json",
        type=Path,
        default=Path("benchmarks/results/speed.json"),
        help="where to write the results",
    )
    p.add_argument("--case", help=argparse.SUPPRESS)  # internal: measure one case (a child)
    p.add_argument("--work", help=argparse.SUPPRESS)  # internal: run one case (a grandchild)
    a = p.parse_args(argv)
    if a.work:
        case = json.loads(a.work)
        if case.get("ctgan"):
            print(json.dumps(ctgan_work(case)))
        else:
            print(json.dumps(resample_work(case) if case.get("resample") else work(case)))
        return
    if a.case:
        print(json.dumps(measure(json.loads(a.case))))
        return
    grid = {k: list(v) for k, v in (QUICK if a.quick else FULL).items()}
    if a.million:
        grid["rows"].append(1_000_000)
    cores = os.cpu_count() or 1
    threads = sorted({cores if t == "all" else int(t) for t in a.threads.split(",")})
    epochs = a.epochs if a.epochs is not None else (2 if a.quick else 10)
    if a.resample:
        todo = resample_cases(a.csv, a.mixed, threads, a)
    elif a.scale:
        todo = cases(grid, QUICK_BASE if a.quick else BASE, a.epochs, threads)
        if a.only:  # these shapes instead of the grid
            shapes = [[int(v) for v in s.split(",")] for s in a.only.split(";") if s]
            todo = [
                {**dict(zip(("rows", "columns", "classes"), shape, strict=True)), "threads": t}
                | {"epochs": a.epochs, "axis": "only"}
                for shape in shapes
                for t in threads
            ]
        knobs = {"step_budget": a.step_budget, "resample": True, "minority": a.minority}
        todo = [{**c, **knobs} for c in todo]
    else:
        todo = cases(grid, QUICK_BASE if a.quick else BASE, epochs, threads)
        for case in todo:
            case["step_budget"] = a.step_budget
    rows = []
    for case in todo:
        rows.append(_run("--case", case))
        print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    if a.resample or a.scale:
        print(f"fit_resample (epochs {a.epochs}, step_budget {a.step_budget}); cores: {cores}\n")
        print(scale_markdown(rows) if a.scale else resample_markdown(rows))
    else:
        budget = f"step budget {a.step_budget}" if a.step_budget else f"epochs per case: {epochs}"
        print(f"{budget}; cores: {cores}\n")
        print(markdown(rows))
    a.json.parent.mkdir(parents=True, exist_ok=True)
    a.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
