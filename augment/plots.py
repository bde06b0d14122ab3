"""Figures people would rather look at than read: sample grids, loss curves, confusion
matrices, per-class recall bars. Each function writes one PNG and returns its path."""

from __future__ import annotations

import textwrap
import warnings
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only, no display needed
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from augment.gan.history import History  # noqa: E402

# a label the font cannot draw (an emoji) is drawn as a box; not worth a terminal warning
warnings.filterwarnings("ignore", message=r"Glyph \d+ .* missing from font", category=UserWarning)

QUALITY_KEYS = ("val_distance", "fid_domain")  # per-check metrics in GAN history rows


# Plots stay bounded (size, time, memory) whatever the class count: per-class panels show at
# most MAX_PANELS classes (the rarest, or evenly spaced), and matrices / bar charts drop cell
# labels past MAX_LABELLED classes and never grow past MAX_INCHES.
MAX_PANELS = 20
MAX_LABELLED = 40
MAX_INCHES = 16.0


def _text(name: Any) -> str:
    """A class label, column name or value drawn as itself: matplotlib reads text between
    two ``$`` as math (``$5-$10`` garbled, ``$\\foo$`` an error that fails the run)."""
    return str(name).replace("$", r"\$")


def _inches(x: float) -> float:
    return float(min(x, MAX_INCHES))


def _shown(k: int, counts: np.ndarray | None = None) -> list[int]:
    """The class codes a per-class panel shows: all, or MAX_PANELS (rarest first if counted)."""
    if k <= MAX_PANELS:
        return list(range(k))
    if counts is not None:
        return sorted(np.argsort(counts, kind="stable")[:MAX_PANELS].tolist())
    return sorted({int(round(i)) for i in np.linspace(0, k - 1, MAX_PANELS)})


def _ticks(ax, k: int, class_names: list[str], axis: str, rotation: int = 0) -> None:
    """Every class named up to MAX_LABELLED classes, else about MAX_LABELLED evenly spaced."""
    step = max(1, -(-k // MAX_LABELLED))
    pos = list(range(0, k, step))
    names = [_text(class_names[i]) for i in pos]
    if axis == "x":
        ax.set_xticks(pos, names, rotation=rotation, fontsize=7 if step > 1 else None)
    else:
        ax.set_yticks(pos, names, fontsize=7 if step > 1 else None)


def _save(fig, path: Path) -> Path:
    from augment.atomic import atomic_write

    path.parent.mkdir(parents=True, exist_ok=True)
    try:  # a plot is complete or absent (a full disk, a kill mid-write)
        atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=110, bbox_inches="tight", format="png"))
    finally:
        plt.close(fig)
    return path


def sample_grid(
    model: Any,
    class_names: list[str],
    path: Path,
    per_class: int = 10,
    seed: int = 0,
    title: str = "EMA generator",
) -> Path:
    """One row per class of generated images (a fitted image GAN), class names on the left."""
    shown = _shown(len(class_names))
    rows = len(shown)
    fig, axes = plt.subplots(rows, per_class, figsize=(per_class * 0.8, rows * 0.85), squeeze=False)
    for r, code in enumerate(shown):
        imgs = model.sample(per_class, code, random_state=seed + code)  # (n, C, H, W) in [0, 1]
        for j in range(per_class):
            ax = axes[r, j]
            img = imgs[j].transpose(1, 2, 0)
            ax.imshow(img[..., 0] if img.shape[2] == 1 else img, cmap="gray", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
        axes[r, 0].set_ylabel(_text(class_names[code]), rotation=0, ha="right", va="center")
    of = f", {rows} of {len(class_names)} classes" if rows < len(class_names) else ""
    fig.suptitle(f"generated samples per class ({title}{of})")
    return _save(fig, path)


def loss_curves(history: History, path: Path) -> Path:
    """D and G loss, and mean D(x) vs D(G(z)), per epoch; and the early-stopping signal
    (tables' held-out ``val_distance``, images' ``fid_domain``) at its checks, if any."""
    epochs = history.column("epoch")
    checks = [k for k in QUALITY_KEYS if any(k in r for r in history.rows)]
    fig, (a, b, *c) = plt.subplots(1, 2 + bool(checks), figsize=(10 + 5 * bool(checks), 3.5))
    for key in checks:
        rows = [r for r in history.rows if key in r]
        c[0].plot([r["epoch"] for r in rows], [r[key] for r in rows], "o-", label=key)
        c[0].set_xlabel("epoch")
        c[0].legend()
        c[0].set_title("early-stopping signal (lower is better)")
    a.plot(epochs, history.column("d_loss"), label="D loss")
    a.plot(epochs, history.column("g_loss"), label="G loss")
    a.set_xlabel("epoch")
    a.legend()
    a.set_title("losses")
    b.plot(epochs, history.column("d_real"), label="D(x) real")
    b.plot(epochs, history.column("d_fake"), label="D(G(z)) fake")
    b.set_xlabel("epoch")
    b.legend()
    b.set_title("discriminator outputs")
    return _save(fig, path)


def confusion(matrix: np.ndarray, class_names: list[str], title: str, path: Path) -> Path:
    """Row-normalised confusion matrix (rows: true class) with counts summed over seeds."""
    norm = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    k = len(class_names)
    fig, ax = plt.subplots(figsize=(_inches(0.5 * k + 2.5), _inches(0.5 * k + 2)))
    ax.imshow(norm, cmap="Blues", vmin=0, vmax=1)
    cells = [] if k > MAX_LABELLED else list(zip(*np.nonzero(matrix), strict=True))
    for i, j in cells:
        colour = "white" if norm[i, j] > 0.5 else "black"
        ax.text(j, i, f"{norm[i, j]:.2f}", ha="center", va="center", fontsize=7, color=colour)
    _ticks(ax, k, class_names, "x", rotation=90)
    _ticks(ax, k, class_names, "y")
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(_text(title))
    return _save(fig, path)


def recall_bars(per_arm: dict[str, list[float]], class_names: list[str], path: Path) -> Path:
    """Per-class recall, one bar group per class, one bar per arm."""
    arms = list(per_arm)
    k = len(class_names)
    width = 0.8 / max(len(arms), 1)
    fig, ax = plt.subplots(figsize=(_inches(max(6, 0.7 * k * len(arms) / 2 + 3)), 3.5))
    for i, arm in enumerate(arms):
        if k > MAX_LABELLED:  # bars too thin to see: one marker per class and arm
            ax.plot(np.arange(k), per_arm[arm], ".", markersize=3, label=arm)
        else:
            ax.bar(np.arange(k) + i * width - 0.4 + width / 2, per_arm[arm], width, label=arm)
    _ticks(ax, k, class_names, "x", rotation=90 if k > MAX_LABELLED else 0)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("recall (mean over seeds)")
    ax.set_title("per-class recall on the real test split")
    ax.legend(ncol=len(arms), fontsize=8, loc="lower left")
    return _save(fig, path)


def class_marginals(
    real: Any,
    y_real: np.ndarray,
    synthetic: Any,
    y_syn: np.ndarray,
    class_names: list[str],
    discrete: list[str],
    path: Path,
    max_features: int = 6,
) -> Path:
    """Per-class marginals of a table, real train rows vs GAN samples: one column per class,
    one row per feature (the first ``max_features``, named in the title when there are more).
    Continuous: density histograms; discrete: category frequencies."""
    cols = list(real.columns)[:max_features]
    shown = _shown(len(class_names), np.bincount(y_real, minlength=len(class_names)))
    k = len(shown)
    fig, axes = plt.subplots(
        len(cols), k, figsize=(2.4 * k, 1.7 * len(cols)), squeeze=False, sharey="row"
    )
    for i, col in enumerate(cols):
        both = pd.concat([real[col], synthetic[col]], ignore_index=True)
        for p, code in enumerate(shown):
            ax = axes[i, p]
            r, s = real[col][y_real == code], synthetic[col][y_syn == code]
            if col in discrete:
                cats = sorted(both.astype(str).unique())[:12]
                rf = r.astype(str).value_counts(normalize=True)
                sf = s.astype(str).value_counts(normalize=True)
                x = np.arange(len(cats))
                ax.bar(x - 0.2, [rf.get(c, 0) for c in cats], 0.4, label="real")
                ax.bar(x + 0.2, [sf.get(c, 0) for c in cats], 0.4, label="synthetic")
                ax.set_xticks(x, [_text(c) for c in cats], rotation=45, fontsize=6)
            else:
                v = both.to_numpy(dtype=float)
                lo, hi = np.nanmin(v), np.nanmax(v)
                bins = np.linspace(lo, hi if hi > lo else lo + 1, 16)
                _density(ax, r.to_numpy(dtype=float), bins, "real")
                _density(ax, s.to_numpy(dtype=float), bins, "synthetic")
            ax.tick_params(labelsize=6)
            if i == 0:
                ax.set_title(_text(class_names[code]), fontsize=8)
            if p == 0:
                ax.set_ylabel(_text(col), fontsize=7)
    axes[0, 0].legend(fontsize=6)
    of = f" ({k} rarest of {len(class_names)} classes)" if k < len(class_names) else ""
    title = f"per-class marginals: real train rows vs GAN samples{of}"
    if len(cols) < len(real.columns):  # a figure of every feature would outgrow the page
        names = ", ".join(_text(c) for c in cols)
        shown_line = f"{len(cols)} of {len(real.columns)} features shown: {names}"
        title += "\n" + textwrap.fill(shown_line, 110)  # long names wrap, not widen the figure
    fig.suptitle(title)
    return _save(fig, path)


def _density(ax: Any, values: np.ndarray, bins: np.ndarray, label: str) -> None:
    """A filled density histogram as one outline (``stairs``): the look of ``ax.hist``, one
    artist instead of a patch per bin (the marginals figure draws in about half the time)."""
    values = values[np.isfinite(values)]
    counts = (
        np.histogram(values, bins=bins, density=True)[0] if values.size else np.zeros(len(bins) - 1)
    )
    ax.stairs(counts, bins, fill=True, alpha=0.55, label=label)


def compare_runs(runs: list[dict[str, Any]], metric: str, path: Path) -> Path:
    """Mean and 95% CI of ``metric`` per arm, one group per run (``Tracker.comparison`` items)."""
    arms = list(dict.fromkeys(a for r in runs for a in r["arms"]))
    width = 0.8 / max(len(arms), 1)
    fig, ax = plt.subplots(figsize=(max(6, 1.2 * len(runs) * max(len(arms), 1) / 2 + 2), 3.5))
    for i, arm in enumerate(arms):
        xs, means, errs = [], [], [[], []]
        for j, run in enumerate(runs):
            agg = run["arms"].get(arm, {}).get(metric)
            if agg is None:
                continue
            xs.append(j + i * width - 0.4 + width / 2)
            means.append(agg["mean"])
            errs[0].append(agg["mean"] - agg["ci95"][0])
            errs[1].append(agg["ci95"][1] - agg["mean"])
        ax.bar(xs, means, width, yerr=errs, capsize=3, label=arm)
    labels = [f"{r['run_id'][:8]}\n{_text(r.get('dataset') or '')}" for r in runs]
    ax.set_xticks(range(len(runs)), labels, fontsize=7)
    ax.set_ylabel(f"{metric} (mean, 95% CI)")
    ax.set_title(f"{metric} per arm, last {len(runs)} run(s)")
    # beside the axes, never over the bars
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    return _save(fig, path)
