"""Figures people would rather look at than read: sample grids, loss curves, confusion
matrices, per-class recall bars. Each function writes one PNG and returns its path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only, no display needed
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from augment.gan.loop import History  # noqa: E402


def _save(fig, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110, bbox_inches="tight")
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
    k = len(class_names)
    fig, axes = plt.subplots(k, per_class, figsize=(per_class * 0.8, k * 0.85), squeeze=False)
    for code in range(k):
        imgs = model.sample(per_class, code, random_state=seed + code)  # (n, C, H, W) in [0, 1]
        for j in range(per_class):
            ax = axes[code, j]
            img = imgs[j].transpose(1, 2, 0)
            ax.imshow(img[..., 0] if img.shape[2] == 1 else img, cmap="gray", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
        axes[code, 0].set_ylabel(class_names[code], rotation=0, ha="right", va="center")
    fig.suptitle(f"generated samples per class ({title})")
    return _save(fig, path)


def loss_curves(history: History, path: Path) -> Path:
    """D and G loss, and mean D(x) vs D(G(z)), per epoch."""
    epochs = history.column("epoch")
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 3.5))
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
    fig, ax = plt.subplots(figsize=(0.5 * k + 2.5, 0.5 * k + 2))
    ax.imshow(norm, cmap="Blues", vmin=0, vmax=1)
    for i in range(k):
        for j in range(k):
            if matrix[i, j]:
                ax.text(
                    j,
                    i,
                    f"{norm[i, j]:.2f}",
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="white" if norm[i, j] > 0.5 else "black",
                )
    ax.set_xticks(range(k), class_names, rotation=90)
    ax.set_yticks(range(k), class_names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    return _save(fig, path)


def recall_bars(per_arm: dict[str, list[float]], class_names: list[str], path: Path) -> Path:
    """Per-class recall, one bar group per class, one bar per arm."""
    arms = list(per_arm)
    k = len(class_names)
    width = 0.8 / max(len(arms), 1)
    fig, ax = plt.subplots(figsize=(max(6, 0.7 * k * len(arms) / 2 + 3), 3.5))
    for i, arm in enumerate(arms):
        ax.bar(np.arange(k) + i * width - 0.4 + width / 2, per_arm[arm], width, label=arm)
    ax.set_xticks(range(k), class_names)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("recall (mean over seeds)")
    ax.set_title("per-class recall on the real test split")
    ax.legend(ncol=len(arms), fontsize=8, loc="lower left")
    return _save(fig, path)
