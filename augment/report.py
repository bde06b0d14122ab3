"""Human-readable comparison table and atomic writes of the JSON summary."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from augment.atomic import atomic_write
from augment.evaluate import METRICS


def comparison_table(summary: dict[str, Any]) -> str:
    """Arms side by side: mean +- std [CI95] per metric, delta vs baseline and gap recovered."""
    header = ["arm"] + list(METRICS) + ["d_bal_acc", "gap_recovered"]
    rows = [header]
    for arm, res in summary["arms"].items():
        cells = [arm]
        for m in METRICS:
            a = res[m]
            cells.append(f"{a['mean']:.3f}±{a['std']:.3f} [{a['ci95'][0]:.3f},{a['ci95'][1]:.3f}]")
        d = summary["delta_vs_baseline"].get(arm, {}).get("balanced_accuracy")
        g = summary["gap_recovered"].get(arm)
        cells.append("" if d is None else f"{d:+.3f}")
        cells.append("" if g is None else f"{g:+.0%}")
        rows.append(cells)
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    q = summary.get("synthetic_quality") or {}
    foot = [
        f"dataset {summary['dataset']}: n_train={summary['n_train']} n_test={summary['n_test']}, "
        f"{summary['seeds']} seed(s), classifier={summary['classifier']} (mean±std [95% CI])"
    ]
    foot += generator_lines(summary)
    if q:
        foot.append("synthetic quality: " + ", ".join(f"{k}={v:.3f}" for k, v in q.items()))
    return "\n".join(lines + [""] + foot)


def generator_lines(summary: dict[str, Any]) -> list[str]:
    """How the GAN arms used the K generators, and each generator's mean balanced accuracy."""
    seeds = summary.get("gan_seeds") or []
    if not seeds:
        return []
    k = len(seeds)
    out = [
        f"GAN arms: {k} generator(s), GAN seeds {', '.join(map(str, seeds))}; classifier seed s"
        f" uses generator s mod {k} (CIs include generator variance)"
    ]
    for arm, per in (summary.get("per_generator") or {}).items():
        values = " / ".join(f"{v:.3f}" for v in per["balanced_accuracy"])
        out.append(f"  {arm} balanced_accuracy per generator: {values}")
    return out


def write_json_atomic(obj: dict[str, Any], path: str | Path) -> Path:
    """Write JSON to a temp file beside ``path`` and rename it over: never a half-written file."""
    text = json.dumps(obj, indent=2, default=str) + "\n"
    return atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def check_writable(path: str | Path) -> None:
    """Fail before any work when the output's folder is missing or not writable."""
    from augment.exceptions import ConfigError

    parent = Path(path).resolve().parent
    if not parent.is_dir():
        raise ConfigError(f"output folder {parent} does not exist")
    if not os.access(parent, os.W_OK):
        raise ConfigError(f"output folder {parent} is not writable")
    if Path(path).is_dir():
        raise ConfigError(f"output path {path} is a directory; give a file name")


def check_not_input(path: str | Path, inputs: list[str | None]) -> None:
    """Refuse an output that is one of the run's inputs (a data file or the config)."""
    from augment.exceptions import ConfigError

    out = Path(path).resolve()
    for source in inputs:
        if source and not source.startswith("builtin:") and Path(source).resolve() == out:
            raise ConfigError(
                f"--json {path} is the input data or config {source}; choose another file"
            )
