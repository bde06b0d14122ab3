"""Tabular conditional GAN vs the `ctgan` package, side by side; then efficacy per arm.

Part 1 (speed + quality), per table, same epochs and batch size for both models, each run in a
fresh process (clean peak memory, same torch thread count):
  wall time per epoch (median over epochs), fit + sample 10k rows, peak RSS, sample time for
  10k rows of one class (ours), C2ST AUC (real vs synthetic, lower is better) and TSTR balanced
  accuracy (train on synthetic only, test on real).
Part 2 (efficacy): gap recovered and balanced accuracy (mean, CI95 over seeds) of gan, smote,
  random_oversample and class_weight on the imbalanced built-in tables.

    python -m benchmarks.tabular                      # full settings (see --help)
    python -m benchmarks.tabular --quick              # smaller settings for a loaded machine

`ctgan` comes with the ``bench`` extra (pip install -e ".[bench]"); without it only ours runs.
Writes benchmarks/results/tabular.json and prints the tables.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import multiprocessing as mp
import resource
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks import RESULTS


def mixed_table(n: int, n_cols: int = 20, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """``n`` rows x ``n_cols`` features: 60% continuous (normal, bimodal, skewed, integer
    counts), 40% text categories (2-20 values), each shifted by a 3-class label (60/30/10%)."""
    rng = np.random.default_rng(seed)
    y = rng.choice(3, n, p=[0.6, 0.3, 0.1])
    cols = {}
    n_cont = int(round(n_cols * 0.6))
    for j in range(n_cont):
        shift = (y - 1) * (0.5 + 0.2 * j)
        kind = j % 4
        if kind == 0:
            v = rng.normal(shift, 1.0)
        elif kind == 1:
            bimodal = rng.random(n) < 0.4
            v = np.where(bimodal, rng.normal(-3 + shift, 0.5), rng.normal(4 + shift, 1.0))
        elif kind == 2:
            v = rng.lognormal(0.5 + 0.3 * y, 0.7) * 1000
        else:
            v = rng.poisson(3 + 2 * y).astype(np.int64)
        cols[f"c{j}"] = v
    for j in range(n_cols - n_cont):
        k = [2, 3, 5, 8, 12, 20, 4, 6][j % 8]
        base = rng.choice(k, n, p=rng.dirichlet(np.ones(k)))
        shifted = np.where(rng.random(n) < 0.3, (base + y) % k, base)
        cols[f"d{j}"] = np.array([f"v{i}" for i in range(k)], dtype=object)[shifted]
    return pd.DataFrame(cols), y


def load_table(name: str):
    """``(train LabeledDataset, test LabeledDataset)`` for a builtin or ``mixedN``."""
    from augment.data import dataset_from_frame, load_dataset, make_splits

    if name.startswith("mixed"):
        n = int(name[len("mixed") :])
        X, y = mixed_table(n, seed=0)
        Xt, yt = mixed_table(3000, seed=1)
        train = dataset_from_frame(X.assign(label=y), "label", name)
        test = dataset_from_frame(Xt.assign(label=yt), "label", name + "-test")
        return train, test
    splits = make_splits(load_dataset(f"builtin:{name}"), 0.3, 0, [], 1.0)
    return splits.train, splits.test


def c2st_subsamples(train, X_syn: pd.DataFrame, y_syn: np.ndarray, subsamples: int = 3):
    """C2ST AUC of ``subsamples`` draws of up to 2000 real and 2000 synthetic rows (label
    included; seeds 0, 1, ...): a list, one AUC per draw (lower is better)."""
    from augment.evaluate import c2st_auc

    aucs = []
    for seed in range(subsamples):
        rng = np.random.default_rng(seed)
        n = min(2000, len(train), len(X_syn))
        ri = rng.choice(len(train), n, replace=False)
        si = rng.choice(len(X_syn), n, replace=False)
        real = train.X.iloc[ri].assign(_y=train.y[ri].astype(str)).reset_index(drop=True)
        fake = X_syn.iloc[si].assign(_y=y_syn[si].astype(str)).reset_index(drop=True)
        aucs.append(c2st_auc(real, fake[real.columns].astype(real.dtypes.to_dict()), seed))
    return aucs


def _quality(train, test, X_syn: pd.DataFrame, y_syn: np.ndarray) -> dict:
    """C2ST AUC (mean of `c2st_subsamples`) and TSTR balanced accuracy (random forest, real
    test split)."""
    from sklearn.metrics import balanced_accuracy_score

    from augment.classify import make_classifier

    c2st = float(np.mean(c2st_subsamples(train, X_syn, y_syn)))

    clf = make_classifier("random_forest", train, 0)
    if len(np.unique(y_syn)) < 2:
        tstr = float("nan")
    else:
        clf.fit(X_syn.astype(train.X.dtypes.to_dict()), y_syn)
        tstr = float(balanced_accuracy_score(test.y, clf.predict(test.X)))
    return {"c2st_auc": c2st, "tstr_balanced_accuracy": tstr}


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_ours(table: str, epochs: int, batch: int, threads: int, seed: int = 0) -> dict:
    import torch

    torch.set_num_threads(threads)
    from augment.gan import TabularCGAN, TabularGANConfig

    train, test = load_table(table)
    rss0 = _peak_rss_mb()
    stamps: list[float] = []
    cfg = TabularGANConfig(epochs=epochs, batch_size=batch, device="cpu", num_threads=threads)
    t0 = time.perf_counter()
    gan = TabularCGAN(cfg, discrete=train.discrete, random_state=seed, progress=False)
    gan.fit(train.X, train.y, callback=lambda e, r: stamps.append(time.perf_counter()))
    t_fit = time.perf_counter() - t0
    counts = np.bincount(train.y)
    share = np.round(10_000 * counts / counts.sum()).astype(int)
    t1 = time.perf_counter()
    parts = [gan.sample(int(m), c, random_state=c) for c, m in enumerate(share)]
    t_sample = time.perf_counter() - t1
    t2 = time.perf_counter()
    one = gan.sample(10_000, int(np.argmin(counts)), random_state=9)
    t_one = time.perf_counter() - t2
    assert len(one) == 10_000
    X_syn = pd.concat(parts, ignore_index=True)
    y_syn = np.repeat(np.arange(len(share)), share)
    epoch_times = np.diff([t0] + stamps)  # the first one includes encoding and imports
    return {
        "model": "augment",
        "table": table,
        "rows": len(train),
        "epoch_s": float(statistics.median(epoch_times[1:] if len(stamps) > 1 else epoch_times)),
        "first_epoch_s": float(epoch_times[0]),
        "fit_s": t_fit,
        "fit_sample10k_s": t_fit + t_sample,
        "sample10k_one_class_s": t_one,
        "peak_rss_mb": _peak_rss_mb(),
        "rss_growth_mb": _peak_rss_mb() - rss0,
        **_quality(train, test, X_syn, y_syn),
    }


def run_ctgan(table: str, epochs: int, batch: int, threads: int, seed: int = 0) -> dict:
    import torch

    torch.set_num_threads(threads)
    import ctgan.synthesizers.ctgan as ct_mod
    from ctgan import CTGAN

    stamps: list[float] = []

    def timed_range(it, **_):  # replaces ctgan's tqdm: timestamps at the end of every epoch
        class Timed:
            def __iter__(self):
                for i in it:
                    yield i
                    stamps.append(time.perf_counter())

            def set_description(self, *_a, **_k):
                pass

        return Timed()

    ct_mod.tqdm = timed_range
    train, test = load_table(table)
    rss0 = _peak_rss_mb()
    df = train.X.assign(label=train.y.astype(str))
    model = CTGAN(epochs=epochs, batch_size=batch, verbose=True)
    model.set_random_state(seed)
    t0 = time.perf_counter()
    model.fit(df, discrete_columns=[*train.discrete, "label"])
    t_fit = time.perf_counter() - t0
    t1 = time.perf_counter()
    syn = model.sample(10_000)
    t_sample = time.perf_counter() - t1
    y_syn = syn.pop("label").astype(int).to_numpy()
    epoch_times = np.diff(stamps) if len(stamps) > 1 else np.asarray([t_fit])
    t2 = time.perf_counter()
    minority = str(int(np.argmin(np.bincount(train.y))))
    try:
        one = model.sample(10_000, condition_column="label", condition_value=minority)
        t_one = time.perf_counter() - t2
        one_ok = float((one["label"] == minority).mean())
    except Exception:  # noqa: BLE001 - ctgan's rejection sampling can fail
        t_one, one_ok = float("nan"), float("nan")
    return {
        "model": "ctgan",
        "table": table,
        "rows": len(train),
        "epoch_s": float(statistics.median(epoch_times)),
        "first_epoch_s": float(stamps[0] - t0) if stamps else t_fit,
        "fit_s": t_fit,
        "fit_sample10k_s": t_fit + t_sample,
        "sample10k_one_class_s": t_one,
        "sample10k_one_class_label_share": one_ok,
        "peak_rss_mb": _peak_rss_mb(),
        "rss_growth_mb": _peak_rss_mb() - rss0,
        **_quality(train, test, syn, y_syn),
    }


def _in_child(fn, *args) -> dict:
    ctx = mp.get_context("spawn")
    with ctx.Pool(1) as pool:
        return pool.apply(fn, args)


def efficacy(name: str, epochs: int, seeds: int) -> dict:
    """Arms on the imbalanced built-in table (demo imbalance: the minority kept at 10%)."""
    from augment.arms import run_arm
    from augment.balance import balance_plan
    from augment.config import DataConfig, GANConfig
    from augment.evaluate import deltas_and_gap, summarize_arms
    from augment.experiment import fit_generator, prepare

    _, splits = prepare(DataConfig(source=f"builtin:{name}"))
    plan = balance_plan(splits.train.y)
    t0 = time.perf_counter()
    model = fit_generator(splits.train, GANConfig(epochs=epochs, device="cpu"), progress=False)
    fit_s = time.perf_counter() - t0
    arms = ["baseline", "gan", "smote", "random_oversample", "class_weight", "oracle"]
    per_seed = {
        arm: run_arm(arm, splits, plan, list(range(seeds)), "random_forest", model).per_seed
        for arm in arms
    }
    summary = summarize_arms(per_seed)
    _, gap = deltas_and_gap(summary)
    # gap recovered per seed (same seed's baseline/oracle), for a CI on the gap itself
    from augment.evaluate import aggregate

    gaps = {}
    for arm in arms[1:-1]:
        vals = []
        for s in range(seeds):
            b = per_seed["baseline"][s]["balanced_accuracy"]
            o = per_seed["oracle"][s]["balanced_accuracy"]
            a = per_seed[arm][s]["balanced_accuracy"]
            vals.append((a - b) / (o - b) if abs(o - b) > 1e-9 else float("nan"))
        gaps[arm] = aggregate(vals)
    return {
        "dataset": name,
        "gan_epochs": epochs,
        "gan_fit_s": fit_s,
        "class_counts_train": splits.train.class_counts(),
        "balanced_accuracy": {a: summary[a]["balanced_accuracy"] for a in arms},
        "gap_recovered": gap,
        "gap_recovered_per_seed": gaps,
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks.tabular",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--threads", type=int, default=1, help="torch threads for both models")
    p.add_argument("--small-epochs", type=int, default=300, help="epochs on builtin tables")
    p.add_argument("--small-batch", type=int, default=100)
    p.add_argument(
        "--mixed-epochs", default="10,100", help="epoch budgets on the 10k table (comma list)"
    )
    p.add_argument("--big-epochs", type=int, default=2, help="epochs on the 100k table")
    p.add_argument("--batch", type=int, default=500, help="batch size on the mixed tables")
    p.add_argument("--ctgan-100k", action="store_true", help="also run ctgan on 100k rows")
    p.add_argument("--efficacy-epochs", type=int, default=300)
    p.add_argument("--seeds", type=int, default=5)
    p.add_argument("--tables", default="breast_cancer,wine,mixed10000,mixed100000")
    p.add_argument(
        "--repeat", type=int, default=3, help="runs per table and budget, seeds 0..N-1 for both"
    )
    p.add_argument("--skip-speed", action="store_true")
    p.add_argument("--skip-efficacy", action="store_true")
    p.add_argument("--quick", action="store_true", help="150 epochs on builtins, 5 on 10k")
    p.add_argument("--out", default=str(RESULTS / "tabular.json"))
    a = p.parse_args(argv)
    if a.quick:
        a.small_epochs, a.mixed_epochs, a.efficacy_epochs, a.repeat = 150, "5", 150, 1
    results: dict = {"settings": vars(a), "speed": [], "efficacy": []}
    out = Path(a.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    runs = [
        ("breast_cancer", a.small_epochs, a.small_batch, True),
        ("wine", a.small_epochs, a.small_batch, True),
        *[("mixed10000", int(e), a.batch, True) for e in str(a.mixed_epochs).split(",")],
        ("mixed100000", a.big_epochs, a.batch, a.ctgan_100k),
    ]
    runs = [r for r in runs if r[0] in a.tables.split(",")]
    if importlib.util.find_spec("ctgan") is None:
        print('ctgan is not installed (pip install -e ".[bench]"): ours only', file=sys.stderr)
        runs = [(t, e, b, False) for t, e, b, _ in runs]
    if not a.skip_speed:
        plan = [
            (run, rep)
            for run in runs
            # one run at 100k rows: ctgan alone takes minutes per epoch there
            for rep in range(1 if run[0] == "mixed100000" else a.repeat)
        ]
        for (table, epochs, batch, with_ctgan), rep in plan:
            for fn in (run_ours, run_ctgan) if with_ctgan else (run_ours,):
                r = _in_child(fn, table, epochs, batch, a.threads, rep)
                r |= {"epochs": epochs, "batch": batch, "repeat": rep}
                results["speed"].append(r)
                print(json.dumps(r), flush=True)
                out.write_text(json.dumps(results, indent=2))
    if not a.skip_efficacy:
        for name in ("breast_cancer", "wine"):
            r = efficacy(name, a.efficacy_epochs, a.seeds)
            results["efficacy"].append(r)
            print(json.dumps(r), flush=True)
            out.write_text(json.dumps(results, indent=2))
    print_tables(results)
    print(f"wrote {out}")
    return 0


def print_tables(results: dict) -> None:
    rows = results["speed"]
    if rows:
        print(
            "\n| table | rows | model | epochs/batch | s/epoch | ratio | fit+sample10k s "
            "| 10k one class s | peak RSS MB | C2ST AUC | TSTR bal.acc |"
        )
        print("|---|---|---|---|---|---|---|---|---|---|---|")
        # ratio: against the ctgan run of the same table and repeat (run just after ours)
        ct = {(r["table"], r["epochs"], r["repeat"]): r for r in rows if r["model"] == "ctgan"}
        for r in rows:
            ref = ct.get((r["table"], r["epochs"], r["repeat"]))
            ratio = f"{ref['epoch_s'] / r['epoch_s']:.1f}x" if ref and r["model"] != "ctgan" else ""
            print(
                f"| {r['table']} | {r['rows']} | {r['model']} | {r['epochs']}/{r['batch']} "
                f"| {r['epoch_s']:.3f} | {ratio} | {r['fit_sample10k_s']:.1f} "
                f"| {r['sample10k_one_class_s']:.2f} | {r['peak_rss_mb']:.0f} "
                f"| {r['c2st_auc']:.3f} | {r['tstr_balanced_accuracy']:.3f} |"
            )
        print_means(rows)
    for e in results["efficacy"]:
        print(
            f"\n{e['dataset']} (GAN {e['gan_epochs']} epochs, fit {e['gan_fit_s']:.0f}s), "
            f"train counts {e['class_counts_train']}"
        )
        print("| arm | balanced acc mean [CI95] | gap recovered (of means) | gap per seed [CI95] |")
        print("|---|---|---|---|")
        for arm, m in e["balanced_accuracy"].items():
            g = e["gap_recovered"].get(arm)
            gs = e["gap_recovered_per_seed"].get(arm)
            gap = "" if g is None else f"{g:.2f}"
            gps = (
                "" if gs is None else f"{gs['mean']:.2f} [{gs['ci95'][0]:.2f}, {gs['ci95'][1]:.2f}]"
            )
            print(
                f"| {arm} | {m['mean']:.3f} [{m['ci95'][0]:.3f}, {m['ci95'][1]:.3f}] "
                f"| {gap} | {gps} |"
            )


def print_means(rows: list[dict]) -> None:
    """Per table, budget and model: means over the seeded repeats, C2ST with its range."""
    groups: dict[tuple, list[dict]] = {}
    for r in rows:
        groups.setdefault((r["table"], r["epochs"], r["model"]), []).append(r)
    print("\n| table | epochs | model | runs | s/epoch | ratio | C2ST AUC mean [min, max] | TSTR |")
    print("|---|---|---|---|---|---|---|---|")
    for (table, epochs, model), rs in groups.items():
        sec = statistics.mean(r["epoch_s"] for r in rs)
        ref = groups.get((table, epochs, "ctgan"))
        ratio = (
            f"{statistics.mean(r['epoch_s'] for r in ref) / sec:.1f}x"
            if ref and model != "ctgan"
            else ""
        )
        c = [r["c2st_auc"] for r in rs]
        tstr = statistics.mean(r["tstr_balanced_accuracy"] for r in rs)
        print(
            f"| {table} | {epochs} | {model} | {len(rs)} | {sec:.3f} | {ratio} "
            f"| {statistics.mean(c):.3f} [{min(c):.3f}, {max(c):.3f}] | {tstr:.3f} |"
        )


if __name__ == "__main__":
    sys.exit(main())
