"""The Prefect markdown artifact of a flow run: the comparison table and the MLflow link."""

from __future__ import annotations

from typing import Any

from augment.evaluate import METRICS
from augment.report import generator_lines


def markdown_summary(summary: dict[str, Any], run_link: str) -> str:
    """Arms x metrics (mean ± std [95% CI]), deltas, gap recovered and where the run lives."""
    head = ["arm", *METRICS, "Δ balanced_accuracy", "gap recovered"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for arm, res in summary["arms"].items():
        cells = [f"**{arm}**"]
        for m in METRICS:
            a = res[m]
            cells.append(
                f"{a['mean']:.3f} ± {a['std']:.3f} [{a['ci95'][0]:.3f}, {a['ci95'][1]:.3f}]"
            )
        d = summary["delta_vs_baseline"].get(arm, {}).get("balanced_accuracy")
        g = summary["gap_recovered"].get(arm)
        cells.append("" if d is None else f"{d:+.3f}")
        cells.append("" if g is None else f"{g:+.0%}")
        lines.append("| " + " | ".join(cells) + " |")
    q = summary.get("synthetic_quality") or {}
    link = (
        run_link if not run_link.startswith("http") else f"[{summary['mlflow_run_id']}]({run_link})"
    )
    out = [
        f"# augment: {summary['dataset']}",
        "",
        f"n_train={summary['n_train']}, n_test={summary['n_test']}, {summary['seeds']} seed(s), "
        f"classifier `{summary['classifier']}`, GAN epochs {summary['gan_epochs']}",
        "",
        *lines,
        "",
    ]
    gens = generator_lines(summary)
    if gens:
        out += [gens[0], ""] + [f"- {line.strip()}" for line in gens[1:]] + [""]
    if q:
        out += ["Synthetic quality: " + ", ".join(f"{k}={v:.3f}" for k, v in q.items()), ""]
    out.append(f"MLflow run: {link}")
    if summary.get("generator_uri"):
        out.append(f"\nGenerator model: `{summary['generator_uri']}`")
    return "\n".join(out)
