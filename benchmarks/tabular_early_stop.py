"""Early stopping of the tabular GAN on the held-out distance: is it worth it?

Fits three GANs on the same table: ``trace`` (checks every ``--eval-every`` epochs, never stops:
the val_distance curve, best-of-run weights), ``early`` (``--patience``: stops, keeps its best
weights) and ``full`` (the default: all rows, all epochs). Prints the curve, where patience
stops, and the C2ST AUC of each model (mean of 3 subsamples of 2000 rows; lower is better).

    OMP_NUM_THREADS=1 python benchmarks/tabular_early_stop.py --table mixed10000 --epochs 200
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from tabular import c2st_subsamples, load_table  # noqa: E402

from augment.gan.tabular import TabularCGAN, TabularGANConfig  # noqa: E402


def c2st(model: TabularCGAN, train) -> tuple[float, list[float]]:
    """Mean C2ST AUC over 3 subsamples of 2000 real vs 2000 synthetic rows (labels included)."""
    counts = np.bincount(train.y)
    parts = [model.sample(int(n), model.classes_[c], random_state=c) for c, n in enumerate(counts)]
    vals = c2st_subsamples(
        train, pd.concat(parts, ignore_index=True), np.repeat(np.arange(len(counts)), counts)
    )
    return float(np.mean(vals)), vals


def stop_epoch(checks: list[tuple[int, float]], patience: int) -> tuple[int, int]:
    """(stop epoch, best epoch) patience would give on this curve (last epoch if no stop)."""
    best, best_epoch, bad = float("inf"), 0, 0
    for epoch, v in checks:
        if v < best:
            best, best_epoch, bad = v, epoch, 0
        else:
            bad += 1
            if bad >= patience:
                return epoch, best_epoch
    return checks[-1][0], best_epoch


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--table", default="mixed10000")
    ap.add_argument("--epochs", type=int, default=200)
    ap.add_argument("--eval-every", type=int, default=10)
    ap.add_argument("--patience", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", default=None)
    a = ap.parse_args()
    train, _ = load_table(a.table)
    runs = {
        "trace": {"eval_every": a.eval_every, "patience": 10**9},
        "early": {"eval_every": a.eval_every, "patience": a.patience},
        "full": {},
    }
    out: dict = {"table": a.table, "epochs": a.epochs}
    for name, extra in runs.items():
        cfg = TabularGANConfig(epochs=a.epochs, **extra)
        t = time.perf_counter()
        model = TabularCGAN(cfg, discrete=train.discrete, random_state=a.seed, progress=False)
        model.fit(train.X, train.y)
        secs = time.perf_counter() - t
        mean, vals = c2st(model, train)
        rows = model.history_.rows
        res = {
            "epochs_run": len(rows),
            "best_epoch": getattr(model, "best_epoch_", None),
            "fit_s": round(secs, 1),
            "c2st": round(mean, 4),
            "c2st_each": [round(v, 4) for v in vals],
        }
        if name == "trace":
            checks = [(int(r["epoch"]), r["val_distance"]) for r in rows if "val_distance" in r]
            res["checks"] = [(e, round(v, 4)) for e, v in checks]
            res["marginal"] = [round(r["val_marginal"], 4) for r in rows if "val_marginal" in r]
            res["correlation"] = [
                round(r["val_correlation"], 4) for r in rows if "val_correlation" in r
            ]
            res["patience_stop"] = stop_epoch(checks, a.patience)
        out[name] = res
        print(name, json.dumps(res), flush=True)
    if a.json:
        Path(a.json).write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
