"""The one results table: arms x metrics (mean±std [95% CI]), delta vs baseline, gap recovered.

Rendered as aligned text (the CLI, `augment compare`) or as markdown (the Prefect artifact);
both come from the same rows.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from typing import Any

from augment.evaluate import METRICS, gap_recovered
from augment.experiment.summary import Summary

HEADER = ["arm", *METRICS, "d_bal_acc", "gap_recovered"]


def _interval(a: dict[str, Any] | None) -> str:
    if a is None:
        return ""
    return f"{a['mean']:.3f}±{a['std']:.3f} [{a['ci95'][0]:.3f},{a['ci95'][1]:.3f}]"


def _delta(arms: dict[str, dict[str, Any]], arm: str) -> float | None:
    base = arms.get("baseline", {}).get("balanced_accuracy")
    mine = arms[arm].get("balanced_accuracy")
    if arm == "baseline" or base is None or mine is None:
        return None
    return mine["mean"] - base["mean"]


def rows(
    arms: dict[str, dict[str, Any]],
    deltas: dict[str, dict[str, float]] | None = None,
    gaps: dict[str, float | None] | None = None,
) -> list[list[str]]:
    """One row per arm. ``deltas`` / ``gaps`` as in the JSON summary; without ``deltas`` the
    delta and gap are computed from the arms' means (runs read back from MLflow)."""
    out = []
    for arm, aggs in arms.items():
        d = (deltas or {}).get(arm, {}).get("balanced_accuracy") if deltas else _delta(arms, arm)
        g = (gaps or {}).get(arm) if gaps is not None else gap_recovered(arms, arm)
        cells = [arm, *(_interval(aggs.get(m)) for m in METRICS)]
        cells += ["" if d is None else f"{d:+.3f}", "" if g is None else f"{g:+.0%}"]
        out.append(cells)
    return out


def text(body: list[list[str]]) -> str:
    """Aligned columns under ``HEADER``, empty trailing columns dropped."""
    used = [i for i in range(len(HEADER)) if i < 2 or any(r[i] for r in body)]
    table = [[HEADER[i] for i in used]] + [[r[i] for i in used] for r in body]
    widths = [max(len(r[i]) for r in table) for i in range(len(used))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in table]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def markdown(body: list[list[str]]) -> str:
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join([f"**{r[0]}**", *r[1:]]) + " |" for r in body]
    return "\n".join(lines)


def generator_lines(summary: Summary | Mapping[str, Any]) -> list[str]:
    """How the GAN arms used the K generators, and each generator's mean balanced accuracy."""
    summary = Summary.of(summary)
    seeds = summary.gan_seeds or []
    if not seeds:
        return []
    k = len(seeds)
    out = [
        f"GAN arms: {k} generator(s), GAN seeds {', '.join(map(str, seeds))}; classifier seed s"
        f" uses generator s mod {k} (CIs include generator variance)"
    ]
    for arm, per in (summary.per_generator or {}).items():
        values = " / ".join(f"{v:.3f}" for v in per["balanced_accuracy"])
        out.append(f"  {arm} balanced_accuracy per generator: {values}")
    return out


def summary_rows(summary: Summary) -> list[list[str]]:
    """`rows` of a run's summary, with its deltas and gaps."""
    return rows(summary.arms, summary.delta_vs_baseline, summary.gap_recovered)


def verdict_lines(summary: Summary) -> list[str]:
    """The verdict in words (none in a summary without one)."""
    return (summary.verdict or {}).get("lines") or []


def _quality_line(summary: Summary) -> list[str]:
    q = summary.synthetic_quality or {}
    return ["synthetic quality: " + ", ".join(f"{k}={v:.3f}" for k, v in q.items())] if q else []


def comparison_table(summary: Summary | Mapping[str, Any]) -> str:
    """The run's table as text, with what it was measured on and the generators' lines
    (``summary``: a `Summary` or its JSON)."""
    s = Summary.of(summary)
    foot = [
        f"dataset {s.dataset}: n_train={s.n_train} n_test={s.n_test}, "
        f"{s.seeds} seed(s), classifier={s.classifier} (mean±std [95% CI])"
    ]
    foot += generator_lines(s) + _quality_line(s)
    said = verdict_lines(s)
    return "\n".join([text(summary_rows(s)), "", *foot, *([""] + said if said else [])])


def _md(text: str) -> str:
    """Text from data (a path, class names) as plain markdown text: no HTML, no markup."""
    text = html.escape(str(text), quote=False)
    return re.sub(r"([\\`*_\[\]()#|!~])", r"\\\1", text)


def markdown_summary(summary: Summary | Mapping[str, Any], run_link: str) -> str:
    """The run's table as markdown (the Prefect artifact) with where the run lives."""
    summary = Summary.of(summary)
    link = run_link
    if run_link.startswith("http"):
        link = f"[{summary.mlflow_run_id}]({run_link})"
    out = [
        f"# augment: {_md(summary.dataset)}",
        "",
        f"n_train={summary.n_train}, n_test={summary.n_test}, {summary.seeds} seed(s), "
        f"classifier `{summary.classifier}`, GAN epochs {summary.gan_epochs}",
        "",
        markdown(summary_rows(summary)),
        "",
    ]
    gens = generator_lines(summary)
    if gens:
        out += [_md(gens[0]), ""] + [f"- {_md(line.strip())}" for line in gens[1:]] + [""]
    quality = _quality_line(summary)
    if quality:
        out += [_md(quality[0][0].upper() + quality[0][1:]), ""]
    said = verdict_lines(summary)
    if said:
        head = said[0][0].upper() + said[0][1:]
        out += [f"**{_md(head)}**", ""] + [f"- {_md(x.strip())}" for x in said[1:]] + [""]
    out.append(f"MLflow run: {link}")
    if summary.generator_uri:
        out.append(f"\nGenerator model: `{summary.generator_uri}`")
    return "\n".join(out)


def runs_table(runs: list[dict[str, Any]]) -> str:
    """`augment compare`: one block per run read back from MLflow."""
    blocks = []
    for run in runs:
        title = f"run {run['run_id']} ({run.get('run_name') or ''}) dataset {run['dataset']}"
        started = f"{run['start_time']:%Y-%m-%d %H:%M:%S}"
        cfg = run.get("config") or {}
        said = ", ".join(f"{k} {v}" for k, v in cfg.items() if v not in (None, "", "None"))
        head = [f"{title}, started {started}"] + ([f"  {said}"] if said else [])
        if run.get("verdict"):
            head.append(f"  {run['verdict']}")
        blocks.append("\n".join(head) + "\n" + text(rows(run["arms"])))
    return "\n\n".join(blocks)
