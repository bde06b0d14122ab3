"""The run's answer in words: which arm is best, by how much, and whether the seeds agree.

The oracle arm (real data that was held back) is a reference, not a remedy, so it is never the
verdict's best arm. Arms are compared on balanced accuracy, paired by classifier seed (seed s
trains every arm with the same classifier seed), so the difference's interval is the paired one:
the t-interval of the per-seed differences, which is narrower than the two arms' intervals when
the seeds move both arms together.

Balanced accuracy alone can hide a loss: when the best arm loses more than `OTHER_METRIC_LOSS`
on another recorded metric (macro-F1, accuracy, minority recall) against the baseline, the
verdict says so. The share of the gap to the oracle is said only where the oracle is above the
baseline; beyond 100% the verdict says the oracle is not an upper bound there.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from augment.evaluate import METRICS, t_interval

METRIC = "balanced_accuracy"
SEPARABLE_C2ST = 0.95  # a C2ST AUC above this: real and synthetic rows are trivially told apart
OTHER_METRIC_LOSS = 0.01  # a larger loss vs the baseline on another metric is flagged
CHANCE_C2ST = 0.5  # a C2ST AUC below this: the detector does worse than guessing


def paired_interval(a: list[float], b: list[float]) -> tuple[float, float] | None:
    """95% t-interval of the mean of ``a - b`` over paired seeds; None with fewer than 2."""
    return t_interval(np.asarray(a, dtype=float) - np.asarray(b, dtype=float))


def verdict(summary: Any) -> dict[str, Any]:
    """``{"best", "runner_up", "difference", "paired_ci95", "separated", "losses_vs_baseline",
    "lines"}`` of a `Summary`, or of its JSON (``arms``, ``delta_vs_baseline``,
    ``gap_recovered`` and ``synthetic_quality`` are read; a missing one reads as empty).

    ``separated`` is True when the paired interval of best minus runner-up excludes 0;
    ``losses_vs_baseline``: the other metrics on which the best arm's mean is more than
    `OTHER_METRIC_LOSS` below the baseline's, with the difference.
    """
    arms = {a: r[METRIC] for a, r in _part(summary, "arms").items() if a != "oracle"}
    if not arms:
        return {"best": None, "lines": []}
    ranked = sorted(arms, key=lambda a: -arms[a]["mean"])
    best = ranked[0]
    b = arms[best]
    out: dict[str, Any] = {"best": best, "runner_up": None, "difference": None}
    deltas = _part(summary, "delta_vs_baseline")
    lines = [
        f"verdict: {best} is best on {METRIC.replace('_', ' ')}, "
        f"{b['mean']:.3f} [{b['ci95'][0]:.3f}, {b['ci95'][1]:.3f}]"
    ]
    if len(ranked) > 1:
        second = ranked[1]
        r = arms[second]
        diff = b["mean"] - r["mean"]
        ci = paired_interval(b["values"], r["values"])
        separated = ci is not None and ci[0] > 0
        out |= {"runner_up": second, "difference": diff, "paired_ci95": ci, "separated": separated}
        if ci is None:
            lines.append(
                f"  {diff:+.3f} over {second} on one seed: no interval, so no verdict; run more"
                " seeds"
            )
        elif separated:
            lines.append(
                f"  {diff:+.3f} over {second} (paired 95% CI [{ci[0]:+.3f}, {ci[1]:+.3f}]):"
                " the difference holds across seeds"
            )
        else:
            lines.append(
                f"  {best} and {second} are indistinguishable on this data: {diff:+.3f}, paired"
                f" 95% CI [{ci[0]:+.3f}, {ci[1]:+.3f}] includes 0"
            )
    base = deltas.get(best)
    losses = {
        m: d
        for m, d in (base or {}).items()
        if m != METRIC and m in METRICS and d < -OTHER_METRIC_LOSS
    }
    out["losses_vs_baseline"] = losses
    if base is not None:
        gap = _part(summary, "gap_recovered").get(best)
        oracle = deltas.get("oracle", {}).get(METRIC)
        lines.append(f"  {base[METRIC]:+.3f} over the baseline{_gap_words(gap, oracle)}")
    if losses:
        said = ", ".join(
            f"{m.replace('_', ' ').replace('f1', 'F1')} {d:+.3f}" for m, d in losses.items()
        )
        lines.append(
            f"  but {best} loses on other metrics: {said} vs the baseline (more than"
            f" {OTHER_METRIC_LOSS:.2f}); balanced accuracy alone does not show it"
        )
    c2st = _part(summary, "synthetic_quality").get("c2st_auc")
    if c2st is not None and c2st >= SEPARABLE_C2ST:
        lines.append(
            f"  note: c2st_auc {c2st:.3f}: a classifier tells the synthetic rows from real ones"
            " almost perfectly; the generator's rows are far from the data even where they help"
        )
    elif c2st is not None and c2st < CHANCE_C2ST:
        lines.append(
            f"  note: c2st_auc {c2st:.3f} is below 0.5: the detector does worse than chance, which"
            " is noise (on a small table the detector over-fits its folds), not a sign of better"
            " synthetic rows; read it as about 0.5: real and synthetic rows are not told apart"
        )
    out["lines"] = lines
    return out


def _part(summary: Any, key: str) -> dict[str, Any]:
    """One part of a `Summary` (its attribute) or of its JSON (its key); empty when missing.
    Read by name, so this module need not import `augment.experiment.summary` (which imports it)."""
    value = summary.get(key) if isinstance(summary, Mapping) else getattr(summary, key, None)
    return value or {}


def _gap_words(gap: float | None, oracle: float | None) -> str:
    """The share of the gap to the oracle, in words that hold when the oracle is no bound."""
    if gap is None:
        return ""
    if oracle is not None and oracle <= 0:
        return "; the oracle does not beat the baseline here, so there is no gap to recover"
    if gap > 1:
        return (
            f", beyond the oracle ({gap:.0%} of its gap): the oracle (the held-back real rows) is"
            " not an upper bound here"
        )
    return f", {gap:.0%} of the gap to the oracle"
