"""Image augmentation benchmark: every arm on imbalanced digits (and MNIST when present).

Datasets
- ``digits``: scikit-learn's 8x8 digits, 70/30 stratified split, classes 5-9 keep 10% of their
  train rows (the default demo).
- ``mnist``: the 28x28 MNIST test set at <data root>/mnist-test (if present; data root:
  --data-root, $AUGMENT_DATA_ROOT or ../shared/data), subsampled to
  ``--mnist-per-class`` images per class (seeded, stratified) to stay feasible on CPU, then the
  same 70/30 split and 5-9 at 10%.

One GAN per dataset (seed 0), then each arm x classifier over ``--seeds`` seeds on the real test
split: mean, CI95, gap recovered; GAN seconds per epoch and samples per second; synthetic
quality (domain FID, PRDC, TSTR). Prints tables, writes benchmarks/results/images_<name>.json.

    python -m benchmarks.images --datasets digits,mnist
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

from benchmarks import RESULTS, data_root, not_found

os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")

ARMS = ["baseline", "oracle", "smote", "classical", "gan", "gan+classical"]
MNIST_FILES = ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")


def load_mnist(folder: Path, per_class: int, seed: int = 0):
    """``per_class`` images of each digit from the MNIST test set in ``folder``, as a
    `augment.data.LabeledDataset` of (N, 1, 28, 28) images in [0, 1]."""
    from augment.data import LabeledDataset

    with gzip.open(folder / MNIST_FILES[0]) as f:
        X = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 1, 28, 28)
    with gzip.open(folder / MNIST_FILES[1]) as f:
        y = np.frombuffer(f.read(), np.uint8, offset=8).astype(np.int64)
    rng = np.random.default_rng(seed)
    idx = np.sort(
        np.concatenate([rng.choice(np.flatnonzero(y == c), per_class, False) for c in range(10)])
    )
    return LabeledDataset(
        name=f"mnist-test[{per_class}/class]",
        X=(X[idx] / 255.0).astype(np.float32),
        y=y[idx],
        class_names=[str(c) for c in range(10)],
        kind="image",
        demo_imbalance=["5", "6", "7", "8", "9"],
    )


def fit_generators(train, epochs: int, k: int) -> tuple[list, list[float]]:
    """K image GANs (GAN seeds 0..K-1), trained side by side on a thread pool (one torch thread
    each: image GANs draw every training random number from their own generator)."""
    from concurrent.futures import ThreadPoolExecutor

    from augment.config import GANConfig
    from augment.experiment import fit_generator

    def fit(seed: int):
        t0 = time.perf_counter()
        cfg = GANConfig(epochs=epochs, eval_every=0, seed=seed)
        gan = fit_generator(train, cfg, progress=False)
        return gan, time.perf_counter() - t0

    with ThreadPoolExecutor(max_workers=min(k, os.cpu_count() or 1)) as pool:
        done = list(pool.map(fit, range(k)))
    return [g for g, _ in done], [s for _, s in done]


def run_paired(arm: str, splits, plan, seeds: int, clf: str, gans: list):
    """Classifier seed s of a GAN arm uses generator s mod K (as `augment run`)."""
    from augment.arms import ArmResult, get, run_arm
    from augment.experiment.pairing import generator_of

    if not get(arm).uses_generator:
        return run_arm(arm, splits, plan, list(range(seeds)), clf, gans[0])
    k = len(gans)
    parts = [run_arm(arm, splits, plan, [s], clf, gans[generator_of(s, k)]) for s in range(seeds)]
    return ArmResult.merge(parts)


def bench(
    name: str, data, splits, epochs: int, seeds: int, classifiers: list[str], gan_seeds: int = 1
) -> dict:
    from augment.balance import balance_plan
    from augment.config import GANConfig, RunConfig
    from augment.experiment import synthetic_quality
    from augment.experiment.summary import build_summary
    from augment.table import comparison_table

    train = splits.train
    plan = balance_plan(train.y)
    print(f"\n== {name}: train {len(train)} {train.class_counts()}, test {len(splits.test)}")
    t0 = time.perf_counter()
    gans, fit_each = fit_generators(train, epochs, gan_seeds)
    fit_s = time.perf_counter() - t0
    gan = gans[0]
    t0 = time.perf_counter()
    n_sample = 5000
    for c in range(train.n_classes):
        gan.sample(n_sample // train.n_classes, c, random_state=c)
    sps = n_sample / (time.perf_counter() - t0)
    each = ", ".join(f"{s:.0f} s" for s in fit_each)
    print(
        f"GAN: {gan_seeds} generator(s) x {epochs} epochs in {fit_s:.1f} s wall (each: {each}; "
        f"{max(fit_each) / epochs:.3f} s/epoch); {sps:.0f} samples/s"
    )
    t0 = time.perf_counter()
    quality = synthetic_quality(gan, splits, "cnn", seed=0)
    print(
        "synthetic quality (generator 0):",
        {k: round(v, 3) for k, v in quality.items()},
        f"({time.perf_counter() - t0:.0f} s)",
    )
    out = {
        "dataset": name,
        "n_train": len(train),
        "n_test": len(splits.test),
        "class_counts_train": train.class_counts(),
        "gan_epochs": epochs,
        "gan_seeds": gan_seeds,
        "gan_fit_seconds": fit_s,
        "gan_fit_seconds_each": fit_each,
        "gan_seconds_per_epoch": max(fit_each) / epochs,
        "gan_samples_per_second": sps,
        "synthetic_quality": quality,
        "by_classifier": {},
    }
    for clf in classifiers:
        results, secs = {}, {}
        for arm in ARMS:
            t0 = time.perf_counter()
            results[arm] = run_paired(arm, splits, plan, seeds, clf, gans)
            secs[arm] = time.perf_counter() - t0
        # the same typed summary as `augment run` (table, verdict, JSON): one experiment model
        cfg = RunConfig(
            arms=ARMS,
            seeds=seeds,
            classifier=clf,
            gan=GANConfig(epochs=epochs, seeds=gan_seeds),
        )
        summary = build_summary(cfg, data, splits, results, quality, None, None)
        print(f"\n{name}, classifier {clf}, {seeds} seeds:")
        print(comparison_table(summary))
        out["by_classifier"][clf] = summary.to_json() | {"seconds_per_arm": secs}
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks.images",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--datasets", default="digits,mnist")
    p.add_argument("--data-root", help="data folder (default $AUGMENT_DATA_ROOT or ../shared/data)")
    p.add_argument("--classifiers", default="cnn,random_forest")
    p.add_argument("--seeds", type=int, default=5)
    p.add_argument("--epochs", type=int, default=200, help="GAN epochs on digits")
    p.add_argument("--mnist-epochs", type=int, default=180)
    p.add_argument("--mnist-per-class", type=int, default=200)
    p.add_argument("--gan-seeds", type=int, default=1, help="generators (seed s uses s mod K)")
    p.add_argument("--threads", type=int, default=0, help="torch threads (0: torch default)")
    p.add_argument("--out-dir", default=str(RESULTS), help="where images_<name>.json go")
    args = p.parse_args(argv)
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    from augment.config import DataConfig
    from augment.data import make_splits
    from augment.experiment import prepare

    results_dir = Path(args.out_dir)
    results_dir.mkdir(parents=True, exist_ok=True)
    mnist = data_root(args.data_root) / "mnist-test"
    classifiers = args.classifiers.split(",")
    for name in args.datasets.split(","):
        if name == "digits":
            data, splits = prepare(DataConfig())
            epochs = args.epochs
        elif name == "mnist":
            if not all((mnist / f).is_file() for f in MNIST_FILES):
                print("skipping " + not_found("mnist", mnist), file=sys.stderr)
                continue
            data = load_mnist(mnist, args.mnist_per_class)
            splits = make_splits(data, 0.3, 0, None, 0.1)
            epochs = args.mnist_epochs
        else:
            raise SystemExit(f"unknown dataset {name!r}; use digits, mnist")
        res = bench(name, data, splits, epochs, args.seeds, classifiers, args.gan_seeds)
        path = results_dir / f"images_{name}.json"
        path.write_text(json.dumps(res, indent=2, default=float), encoding="utf-8")
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
