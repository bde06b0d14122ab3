"""The learning curve as one PNG: each arm's balanced accuracy against the real minority rows,
and each arm's worth in real rows against the real rows it had."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from augment.plots import _save, _text, plt  # Agg backend, atomic PNG writes, safe labels


def curve_plot(curve: dict[str, Any], path: Path, title: str = "") -> Path:
    """Left: mean and 95% CI (over classifier seeds) of the curve's metric per arm against the
    real minority rows (log axis). Right: each arm's worth in real rows (with its interval)
    against the real rows it had; the diagonal is "worth exactly its real rows" (the baseline),
    points above it mean the added rows were worth real ones. Beyond / below the baseline's
    curve is drawn at the top / bottom edge as a triangle."""
    points, metric = curve["points"], curve["metric"]
    arms = list(dict.fromkeys(a for p in points for a in p["arms"]))
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    rows_all = [p["minority_rows"] for p in points]
    for i, arm in enumerate(arms):
        colour = colours[i % len(colours)]
        have = [p for p in points if arm in p["arms"]]
        x = np.array([p["minority_rows"] for p in have], dtype=float)
        aggs = [p["arms"][arm]["metrics"][metric] for p in have]
        mean = np.array([a["mean"] for a in aggs])
        lo, hi = (np.array([a["ci95"][j] for a in aggs]) for j in (0, 1))
        left.plot(x, mean, "o-", color=colour, label=_text(arm))
        left.fill_between(x, lo, hi, color=colour, alpha=0.15)
        if arm != "baseline":
            _worth_points(right, have, arm, colour, rows_all)
    left.set_xscale("log")
    left.set_xticks(rows_all, [str(r) for r in rows_all])
    left.minorticks_off()
    left.set_xlabel("real minority train rows (fraction of the full split)")
    for r, p in zip(rows_all, points, strict=True):
        at = {"xycoords": ("data", "axes fraction"), "textcoords": "offset points"}
        left.annotate(f"{p['fraction']:.0%}", (r, 0), xytext=(0, 3), ha="center", fontsize=7, **at)
    left.set_ylabel(f"{metric} on the real test split (mean, 95% CI)")
    left.set_title("the curve")
    left.legend(fontsize=8)
    top = max(rows_all)
    diagonal = [min(rows_all), top]
    right.plot(diagonal, diagonal, "--", color="grey", lw=1, label="worth its real rows (baseline)")
    right.set_xscale("log")
    right.set_yscale("log")
    right.set_xticks(rows_all, [str(r) for r in rows_all])
    right.set_yticks(rows_all, [str(r) for r in rows_all])
    right.minorticks_off()
    right.set_xlabel("real minority train rows the arm had")
    right.set_ylabel("worth in real minority rows")
    right.set_title("worth: the baseline's curve read backwards (\u25b2 beyond, \u25bc below it)")
    right.title.set_fontsize(10)
    right.legend(fontsize=8)
    if title:
        fig.suptitle(_text(title))
    return _save(fig, path)


def _worth_points(ax, have: list[dict], arm: str, colour: str, rows_all: list[int]) -> None:
    """One arm's worth (rows) with its interval; off-curve ends clipped to the axis edges."""
    low_edge, high_edge = min(rows_all) * 0.8, max(rows_all) * 1.25

    def y(w: dict) -> float:
        if w["where"] == "on":
            return float(w["rows"])
        return high_edge if w["where"] == "beyond" else low_edge

    xs, ys, lo, hi, marks = [], [], [], [], []
    for p in have:
        w = p["arms"][arm]["worth"]
        xs.append(p["minority_rows"])
        ys.append(y(w["point"]))
        lo.append(y(w["low"]))
        hi.append(y(w["high"]))
        marks.append(w["point"]["where"])
    xs_a, ys_a = np.array(xs, float), np.array(ys, float)
    err = [ys_a - np.array(lo), np.array(hi) - ys_a]
    ax.errorbar(xs_a, ys_a, yerr=err, fmt="o", color=colour, capsize=3, lw=1, label=_text(arm))
    for x, yy, m in zip(xs_a, ys_a, marks, strict=True):
        if m != "on":
            ax.plot([x], [yy], "^" if m == "beyond" else "v", color=colour, ms=8)
    ax.set_ylim(low_edge * 0.9, high_edge * 1.1)
