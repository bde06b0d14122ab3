"""The run's report: one self-contained HTML file (no network, every image embedded).

The comparison table, the verdict, the generators' lines and synthetic quality, then the
figures of the run (per-class recall, sample grid or class marginals, GAN losses, confusion
matrices) and the config, so a run can be read without MLflow or this package.
"""

from __future__ import annotations

import base64
import html
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from augment.atomic import atomic_write
from augment.experiment.summary import Summary
from augment.table import HEADER, generator_lines, summary_rows, verdict_lines

# figure files (from `flows.record`) in the order they are shown, with their captions
FIGURES = (
    ("per_class_recall.png", "Per-class recall on the real test split, mean over seeds"),
    ("sample_grid.png", "Generated samples per class (first generator, EMA weights)"),
    ("class_marginals.png", "Per-class marginals: real train rows vs the gan arm's rows"),
    ("gan_loss_curves.png", "GAN losses per epoch (first generator)"),
)

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1100px; color: #222; }
table { border-collapse: collapse; font-size: 0.85rem; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.5rem; text-align: right; }
th:first-child, td:first-child { text-align: left; }
.verdict { background: #f3f7ff; border-left: 4px solid #3366cc; padding: 0.5rem 1rem; }
.warning { background: #fff6e5; border-left: 4px solid #cc7a00; padding: 0.5rem 1rem; }
figure { margin: 1.5rem 0; } img { max-width: 100%; } pre { background: #f6f6f6; padding: 1rem; }
"""


def _img(path: Path, caption: str) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    alt = html.escape(caption)
    return (
        f'<figure><img alt="{alt}" src="data:image/png;base64,{data}">'
        f"<figcaption>{alt}</figcaption></figure>"
    )


def figures(plots: Path) -> list[tuple[Path, str]]:
    """The run's PNGs in report order: the known ones, other generators' losses, confusions."""
    out = [(plots / name, caption) for name, caption in FIGURES if (plots / name).is_file()]
    for f in sorted(plots.glob("gan_loss_curves_seed*.png")):
        seed = f.stem.removeprefix("gan_loss_curves_seed")
        out.append((f, f"GAN losses per epoch (generator with GAN seed {seed})"))
    for f in sorted(plots.glob("confusion_*.png")):
        arm = f.stem.removeprefix("confusion_")
        out.append((f, f"Confusion matrix of {arm}, summed over seeds"))
    return out


def memorisation_lines(summary: Summary | Mapping[str, Any]) -> list[str]:
    """The memorisation warning of the run (`augment.experiment.memorisation`), one line per
    copied class."""
    found = Summary.of(summary).memorisation or {}
    per_class = found.get("per_class") or {}
    out = []
    for name in found.get("copying") or []:
        c = per_class.get(name) or {}
        ratio = c.get("ratio")
        out.append(
            f"class {name!r}: synthetic rows sit closer to training rows than new real rows do"
            f" (DCR ratio {'?' if ratio is None else f'{ratio:.2f}'} < {found.get('threshold')},"
            f" {c.get('exact_copies')} exact copies of {c.get('n_synthetic')}): the generator may"
            " be copying its training rows"
        )
    return out


def render(
    summary: Summary | Mapping[str, Any], config: dict[str, Any], plots: Path, where: str
) -> str:
    """The report as an HTML string. ``where``: the tracking store and run, in words."""
    s = Summary.of(summary)

    def esc(x: Any) -> str:  # every value shown, numbers too: a summary may be edited by hand
        return html.escape(str(x))

    head = "".join(f"<th>{esc(h)}</th>" for h in HEADER)
    body = "".join(
        "<tr>" + "".join(f"<td>{esc(c)}</td>" for c in row) + "</tr>" for row in summary_rows(s)
    )
    said = verdict_lines(s)
    notes = generator_lines(s)
    quality = s.synthetic_quality or {}
    if quality:
        notes.append("synthetic quality: " + ", ".join(f"{k}={v:.3f}" for k, v in quality.items()))
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>augment: {esc(s.dataset)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>augment: {esc(s.dataset)}</h1>",
        f"<p>n_train={esc(s.n_train)}, n_test={esc(s.n_test)},"
        f" {esc(s.seeds)} seed(s), classifier <code>{esc(s.classifier)}</code>,"
        f" GAN epochs {esc(s.gan_epochs)}. Mean ± std [95% CI] over seeds on the"
        " real test split."
        "</p>",
    ]
    if said:
        parts.append('<div class="verdict">' + "<br>".join(esc(x.strip()) for x in said) + "</div>")
    copied = memorisation_lines(s)
    if copied:
        parts.append('<div class="warning">' + "<br>".join(esc(x) for x in copied) + "</div>")
    parts.append(f"<h2>Arms</h2><table><tr>{head}</tr>{body}</table>")
    if notes:
        parts.append("<ul>" + "".join(f"<li>{esc(n.strip())}</li>" for n in notes) + "</ul>")
    shown = figures(plots)
    if shown:
        parts.append("<h2>Figures</h2>" + "".join(_img(p, c) for p, c in shown))
    parts.append(f"<h2>Config</h2><pre>{esc(json.dumps(config, indent=2, default=str))}</pre>")
    parts.append(f"<p>Tracked in {esc(where)}.</p></body></html>")
    return "\n".join(parts)


def write_report(
    summary: Summary | Mapping[str, Any],
    config: dict[str, Any],
    plots: Path,
    path: Path,
    where: str,
) -> Path:
    """Write the report to ``path`` atomically; returns ``path``."""
    text = render(summary, config, Path(plots), where)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
