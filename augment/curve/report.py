"""The learning curve's report: one self-contained HTML page (the PNG embedded, no network)."""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path
from typing import Any

from augment.atomic import atomic_write
from augment.curve import HEADER, NOTE, table_rows

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1200px; color: #222; }
table { border-collapse: collapse; font-size: 0.85rem; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.5rem; text-align: right; }
td:nth-child(3) { text-align: left; }
.note { background: #f3f7ff; border-left: 4px solid #3366cc; padding: 0.5rem 1rem; }
img { max-width: 100%; } pre { background: #f6f6f6; padding: 1rem; }
"""


def curve_html(curve: dict[str, Any], png: Path) -> str:
    """The page: what was run, the table with worth and intervals, the figure, the settings."""
    esc = html.escape
    head = "".join(f"<th>{esc(h)}</th>" for h in HEADER)
    body = "".join(
        "<tr>" + "".join(f"<td>{esc(c)}</td>" for c in row) + "</tr>" for row in table_rows(curve)
    )
    data = base64.b64encode(Path(png).read_bytes()).decode("ascii")
    settings = {k: v for k, v in curve.items() if k not in ("points", "baseline_curve")}
    classes = ", ".join(map(str, curve.get("classes", [])))
    run = curve.get("mlflow_run_id")
    return "\n".join(
        [
            "<!doctype html>",
            '<html lang="en"><head><meta charset="utf-8">',
            f"<title>learning curve: {esc(str(curve.get('dataset', '')))}</title>",
            f"<style>{_STYLE}</style></head><body>",
            f"<h1>What a synthetic row is worth: {esc(str(curve.get('dataset', '')))}</h1>",
            f"<p>Minority classes {esc(classes)} cut to each fraction of their real train rows;"
            f" {esc(str(curve.get('seeds')))} classifier seeds per arm"
            f" ({esc(str(curve.get('classifier')))}), the same real test split throughout."
            + (f" MLflow run <code>{esc(run)}</code>." if run else "")
            + "</p>",
            f'<p class="note">{esc(NOTE)}</p>',
            f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>",
            f'<figure><img alt="learning curve" src="data:image/png;base64,{data}">'
            "<figcaption>Left: the curve (mean, 95% CI over classifier seeds). Right: each"
            " arm's worth in real rows against the rows it had.</figcaption></figure>",
            "<h2>Settings</h2>",
            f"<pre>{esc(json.dumps(settings, indent=2, default=str))}</pre>",
            "</body></html>",
        ]
    )


def write_curve_report(curve: dict[str, Any], png: Path, path: Path) -> Path:
    """Write `curve_html` to ``path`` atomically; the path."""
    text = curve_html(curve, png)
    return atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
