"""The learning curve: what a synthetic row is worth, in real rows.

The induced-imbalance experiment is repeated at several fractions of the minority classes' real
train rows. The baseline's balanced accuracy against those fractions is the curve of what real
rows buy; an arm's **worth** at a fraction is the real fraction the baseline would need to match
it, read off that curve backwards by linear interpolation. Its interval comes from the arm's
95% interval (over classifier seeds) read off the same curve; the baseline's own noise is not
in it. This package's top is the pure part: fractions and configs, one point per fraction,
worth, the table; `augment.curve.plot` draws the figure and `augment.curve.report` writes the
HTML page. Running the arms is `augment.cli.curve`'s job.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from augment.config import RunConfig
from augment.exceptions import ConfigError

DEFAULT_FRACTIONS = (0.05, 0.1, 0.25, 0.5, 1.0)
DEFAULT_ARMS = ("baseline", "gan", "smote")
METRIC = "balanced_accuracy"  # the curve's metric (the one gap recovered is on)


def parse_fractions(text: str, flag: str = "--fractions") -> list[float]:
    """``"0.1,0.5,1"`` -> ``[0.1, 0.5, 1.0]``: at least two distinct values in (0, 1], sorted."""
    parts = [p.strip() for p in str(text).split(",") if p.strip()]
    values = []
    for p in parts:
        try:
            v = float(p)
        except ValueError:
            raise ConfigError(f"{flag} {text!r}: {p!r} is not a number; e.g. 0.1,0.5,1") from None
        if not (math.isfinite(v) and 0.0 < v <= 1.0):
            raise ConfigError(f"{flag} {text!r}: {p} is outside (0, 1]; fractions of real rows")
        values.append(v)
    values = sorted(set(values))
    if len(values) < 2:
        raise ConfigError(
            f"{flag} {text!r}: a curve needs at least two distinct fractions; e.g. 0.1,0.5,1"
        )
    return values


def curve_arms(arms: Iterable[str]) -> tuple[list[str], list[str]]:
    """The arms the curve runs (the baseline first: worth is read off its curve) and the arms
    left out (``oracle``: on the curve it is the baseline at 100%)."""
    keep = ["baseline"] + [a for a in arms if a not in ("baseline", "oracle")]
    dropped = [a for a in arms if a == "oracle"]
    return list(dict.fromkeys(keep)), dropped


def fraction_config(cfg: RunConfig, fraction: float) -> RunConfig:
    """``cfg`` with the minority classes cut to ``fraction`` of their train rows (1.0: no cut).

    Only ``data.imbalance_fraction`` changes, so each point is the run `augment run` makes
    with that fraction, with the same GAN cache key and cached evaluations. The rows kept
    at a smaller fraction are a subset of those kept at a larger one (one permutation per
    class, `augment.data.split.induce_imbalance`), so the curve adds real rows, not new draws.
    """
    data = cfg.data.model_copy(update={"imbalance_fraction": float(fraction)})
    return cfg.model_copy(update={"data": data})


def minority_rows(y: np.ndarray, class_names: Sequence[str], classes: Sequence[str]) -> int:
    """Rows of ``classes`` (names) in the label codes ``y``."""
    codes = [list(class_names).index(c) for c in classes]
    return int(np.isin(y, codes).sum())


@dataclass(frozen=True)
class Worth:
    """Where a balanced accuracy falls on the baseline's curve.

    ``where`` is ``"on"`` (``fraction`` and ``rows`` read off the curve), ``"below"`` (below
    the baseline at the smallest fraction) or ``"beyond"`` (above the baseline at the largest
    fraction, 100% by default: more than all the real rows are worth).
    """

    where: str
    fraction: float | None = None
    rows: float | None = None

    def order(self) -> float:
        """For comparisons: below < any fraction < beyond."""
        return {"below": -math.inf, "beyond": math.inf}.get(self.where, self.fraction or 0.0)

    def text(self, rows: bool = False) -> str:
        if self.where == "below":
            return "below"
        if self.where == "beyond":
            return "beyond"
        return f"{self.rows:.0f}" if rows else f"{self.fraction:.1%}"

    def to_json(self) -> dict[str, Any]:
        return {"where": self.where, "fraction": self.fraction, "rows": self.rows}


def monotone(values: Sequence[float]) -> np.ndarray:
    """The non-decreasing least-squares fit of ``values`` (pool adjacent violators).

    More real rows of a class cannot make the expected classifier worse; a dip in the
    baseline's means is seed noise, and a curve read backwards must not fold over itself.
    """
    blocks: list[list[float]] = []  # [mean, count]
    for v in map(float, values):
        blocks.append([v, 1.0])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            (m2, n2), (m1, n1) = blocks.pop(), blocks.pop()
            blocks.append([(m1 * n1 + m2 * n2) / (n1 + n2), n1 + n2])
    return np.concatenate([np.full(int(n), m) for m, n in blocks])


def worth(
    value: float, fractions: Sequence[float], rows: Sequence[float], curve: Sequence[float]
) -> Worth:
    """The real fraction (and rows) at which the non-decreasing ``curve`` first reaches
    ``value``, by linear interpolation between the measured fractions."""
    c = np.asarray(curve, dtype=float)
    assert len(c) == len(fractions) == len(rows) and np.all(np.diff(c) >= 0)
    if value > c[-1]:
        return Worth("beyond")
    i = int(np.argmax(c >= value))  # the first point at or above value
    if i == 0:
        if value < c[0]:
            return Worth("below")
        return Worth("on", float(fractions[0]), float(rows[0]))
    t = (value - c[i - 1]) / (c[i] - c[i - 1])  # c[i - 1] < value <= c[i]
    f = fractions[i - 1] + t * (fractions[i] - fractions[i - 1])
    r = rows[i - 1] + t * (rows[i] - rows[i - 1])
    return Worth("on", float(f), float(r))


def point(
    fraction: float,
    minority: int,
    n_train: int,
    arms: dict[str, dict[str, Any]],
    added: dict[str, int],
) -> dict[str, Any]:
    """One fraction of the curve: ``arms`` as `augment.evaluate.summarize_arms` gives them
    (metric -> mean/std/ci95/values), ``added`` rows each arm added to the train split."""
    return {
        "fraction": float(fraction),
        "minority_rows": int(minority),
        "n_train": int(n_train),
        "arms": {
            arm: {"metrics": aggs, "added_rows": int(added.get(arm, 0))}
            for arm, aggs in arms.items()
        },
    }


def with_worth(points: list[dict[str, Any]]) -> dict[str, Any]:
    """The curve: ``points`` (one per fraction, ascending) with each non-baseline arm's worth
    and interval, and the baseline curve it was read off."""
    points = sorted(points, key=lambda p: p["fraction"])
    fractions = [p["fraction"] for p in points]
    rows = [p["minority_rows"] for p in points]
    base = [p["arms"]["baseline"]["metrics"][METRIC]["mean"] for p in points]
    curve = monotone(base)
    for p in points:
        for arm, entry in p["arms"].items():
            if arm == "baseline":
                continue
            agg = entry["metrics"][METRIC]
            mid, lo, hi = (worth(v, fractions, rows, curve) for v in (agg["mean"], *agg["ci95"]))
            entry["worth"] = {"point": mid.to_json(), "low": lo.to_json(), "high": hi.to_json()}
            entry["real_rows_per_added_row"] = per_added_row(mid, p["minority_rows"], entry)
    baseline = {"fractions": fractions, "minority_rows": rows, "mean": base}
    baseline["monotone_mean"] = curve.tolist()
    return {"metric": METRIC, "points": points, "baseline_curve": baseline}


def per_added_row(w: Worth, minority: int, entry: dict[str, Any]) -> float | None:
    """Real minority rows gained per row the arm added: (worth in rows - real rows) / added."""
    if w.where != "on" or not entry.get("added_rows"):
        return None
    return (w.rows - minority) / entry["added_rows"]


def _worth_of(d: dict[str, Any]) -> Worth:
    return Worth(d["where"], d.get("fraction"), d.get("rows"))


HEADER = [
    "fraction",
    "minority rows",
    "arm",
    f"{METRIC} [95% CI]",
    "worth (fraction) [interval]",
    "worth (rows) [interval]",
    "real rows / added row",
]


def table_rows(curve: dict[str, Any]) -> list[list[str]]:
    """One row per fraction x arm (the fraction and rows only on its first row)."""
    out = []
    for p in curve["points"]:
        first = True
        for arm, entry in p["arms"].items():
            agg = entry["metrics"][METRIC]
            where = [f"{p['fraction']:.0%}", str(p["minority_rows"])]
            cells = where if first else ["", ""]
            cells += [arm, f"{agg['mean']:.3f} [{agg['ci95'][0]:.3f}, {agg['ci95'][1]:.3f}]"]
            w = entry.get("worth")
            if w is None:
                cells += ["", "", ""]
            else:
                mid, lo, hi = (_worth_of(w[k]) for k in ("point", "low", "high"))
                for rows in (False, True):
                    cells.append(f"{mid.text(rows)} [{lo.text(rows)}, {hi.text(rows)}]")
                gain = entry.get("real_rows_per_added_row")
                cells.append("" if gain is None else f"{gain:+.2f}")
            out.append(cells)
            first = False
    return out


def table_text(curve: dict[str, Any]) -> str:
    """The curve as aligned text columns (the CLI prints it)."""
    body = table_rows(curve)
    table = [HEADER, *body]
    widths = [max(len(r[i]) for r in table) for i in range(len(HEADER))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in table]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


NOTE = (
    "worth: the real minority fraction (and rows) the baseline would need to match the arm,"
    " read off the baseline's curve (made non-decreasing) by linear interpolation; interval:"
    " the arm's 95% CI over classifier seeds read off the same curve (the baseline's own noise"
    " is not in it); below / beyond: under the baseline at the smallest fraction / over it at"
    " the largest. real rows / added row: (worth in rows - real rows) / rows the arm added."
)
