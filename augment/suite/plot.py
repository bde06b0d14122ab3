"""Critical-difference diagram (Demšar 2006) of the arms' mean ranks, with matplotlib Agg."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def cliques(ranks: dict[str, float], cd: float) -> list[list[str]]:
    """Maximal groups of arms whose mean ranks lie within ``cd`` of each other (sorted)."""
    items = sorted(ranks.items(), key=lambda kv: kv[1])
    groups: list[list[str]] = []
    for i in range(len(items)):
        j = i
        while j + 1 < len(items) and items[j + 1][1] - items[i][1] <= cd:
            j += 1
        group = [a for a, _ in items[i : j + 1]]
        if len(group) > 1 and not any(set(group) <= set(g) for g in groups):
            groups.append(group)
    return groups


def plot_cd(ranks: dict[str, float], cd: float, path: str | Path, title: str = "") -> Path:
    """Write the CD diagram: rank axis (1 = best, left), the CD bar, and thick bars joining arms
    that are not significantly different (Nemenyi, alpha 0.05). Returns ``path``."""
    items = sorted(ranks.items(), key=lambda kv: kv[1])
    k = len(items)
    lo, hi = 1, max(k, 2)
    fig, ax = plt.subplots(figsize=(8, 1.6 + 0.35 * k))
    ax.set_xlim(lo - 0.6, hi + 0.6)
    n_left = (k + 1) // 2
    ax.set_ylim(-(n_left + 1.5), 2.2)
    ax.axis("off")
    ax.hlines(0, lo, hi, color="black", lw=1)
    for r in range(lo, hi + 1):
        ax.vlines(r, 0, 0.15, color="black", lw=1)
        ax.text(r, 0.3, str(r), ha="center", va="bottom", fontsize=10)
    ax.hlines(1.3, lo, lo + cd, color="black", lw=2)
    ax.vlines([lo, lo + cd], 1.2, 1.4, color="black", lw=1)
    ax.text(lo + cd / 2, 1.5, f"CD = {cd:.2f}", ha="center", va="bottom", fontsize=10)
    for i, (name, r) in enumerate(items):
        left = i < n_left
        depth = -(i + 1) if left else -(k - i)
        x_text = lo - 0.5 if left else hi + 0.5
        ax.plot([r, r, x_text], [0, depth, depth], color="tab:blue", lw=1)
        ax.text(
            x_text + (-0.05 if left else 0.05),
            depth,
            f"{name} ({r:.2f})",
            ha="right" if left else "left",
            va="center",
            fontsize=10,
        )
    for j, group in enumerate(cliques(ranks, cd)):
        y = -0.35 - 0.25 * j
        ax.hlines(y, ranks[group[0]] - 0.03, ranks[group[-1]] + 0.03, color="black", lw=4)
    if title:
        ax.set_title(title, fontsize=10)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)
    return path
