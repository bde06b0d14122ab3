"""Plain-text / markdown tables of a `SuiteResult`."""

from __future__ import annotations

from augment.suite.runner import SuiteResult

_SHORT = {"logistic_regression": "LR", "hist_gradient_boosting": "HGB"}


def format_table(result: SuiteResult) -> str:
    """The suite as markdown: a row per table x classifier, then counts, ranks, cost.

    Each arm cell is ``mean [CI95]`` of balanced accuracy over folds (``n/a``: the arm cannot
    run on that table, the reasons listed below the table); per generator arm (``gan``,
    variants) the best classical arm, the difference, the corrected t-test p-value and
    win/tie/loss.
    """
    s, cfg = result.summary, result.config
    arms = list(cfg["arms"])
    ours = [a for a, v in cfg["arms"].items() if not v["classical"]]
    head = ["table", "clf", *arms, "best classical"]
    for o in ours:
        head += [f"{o} - best", "p", "W/T/L"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in s["rows"]:
        cells = [row["table"], _SHORT.get(row["classifier"], row["classifier"])]
        for a in arms:
            v = row["arms"].get(a)
            cells.append(f"{v['mean']:.3f} [{v['ci95'][0]:.3f},{v['ci95'][1]:.3f}]" if v else "n/a")
        cells.append(row["best_classical"] or "-")
        for o in ours:
            c = row["vs_best"].get(o)
            cells += [f"{c['diff']:+.3f}", f"{c['p']:.3f}", c["outcome"]] if c else ["-"] * 3
        lines.append("| " + " | ".join(cells) + " |")
    out = ["\n".join(lines), ""]
    not_run: dict[tuple[str, str], list[str]] = {}
    for row in s["rows"]:
        for a, reason in row.get("skipped", {}).items():
            tables = not_run.setdefault((a, reason), [])
            tables += [] if row["table"] in tables else [row["table"]]
    for (a, reason), tables in not_run.items():
        out.append(f"{a} n/a on {', '.join(tables)}: {reason}")
    for o in ours:
        c = s["counts"][o]
        out.append(
            f"{o} vs best classical arm (corrected t-test, p < {cfg['alpha']}): "
            f"{c['win']} win / {c['tie']} tie / {c['loss']} loss over {s['n_rows']} rows; "
            f"mean above best classical in {c['mean_above']}/{s['n_rows']}"
        )
    top = sorted(s["top"].items(), key=lambda kv: -kv[1])
    out.append(
        "rows where an arm's mean is above every other arm's: "
        + ", ".join(f"{a} {c}" for a, c in top)
        + f" (of {s['n_rows']})"
    )
    ranks = sorted(s["ranks"].items(), key=lambda kv: kv[1])
    n_ranked = _n_ranked(s)
    out.append(f"mean rank (1 = best){_over(s)}: " + ", ".join(f"{a} {r:.2f}" for a, r in ranks))
    if s["friedman"]:
        f = s["friedman"]
        out.append(
            f"Friedman chi2 = {f['chi2']:.2f} (p = {f['p_chi2']:.3g}), Iman-Davenport F = "
            f"{f['iman_davenport_f']:.2f} (p = {f['p_f']:.3g}); Nemenyi CD (alpha 0.05) = "
            f"{s['cd']:.2f} over N = {n_ranked} rows, k = {len(arms)} arms"
        )
    out.append("")
    out.append(format_cost(result))
    return "\n".join(out)


def format_cost(result: SuiteResult) -> str:
    """Mean seconds per fold of each arm's resampling (+ its classifiers' fits), over the suite."""
    by_arm: dict[str, list[float]] = {}
    cpu: dict[str, list[float]] = {}
    fit: dict[str, list[float]] = {}
    for row in result.summary["rows"]:
        for a, v in row["arms"].items():
            if row["classifier"] == result.config["classifiers"][0]:
                by_arm.setdefault(a, []).append(v["resample_s"])
                cpu.setdefault(a, []).append(v.get("resample_cpu_s", float("nan")))
            fit.setdefault(a, []).append(v["fit_s"])
    lines = [
        "| arm | fit_resample wall s / fold | fit_resample CPU s / fold | classifier fit wall s |",
        "|---|---|---|---|",
    ]
    for a in result.config["arms"]:
        r, c, f = by_arm.get(a, [0.0]), cpu.get(a, [float("nan")]), fit.get(a, [0.0])
        mean_c = sum(c) / len(c)
        c_text = f"{mean_c:.3f}" if mean_c == mean_c else "-"
        lines.append(f"| {a} | {sum(r) / len(r):.3f} | {c_text} | {sum(f) / len(f):.3f} |")
    lines.append("(means over tables; one thread each: CPU s ~ the time on an idle machine)")
    t = result.timing
    lines.append("")
    wall = (
        f"{t['wall_s']:.0f} s" if t["wall_s"] == t["wall_s"] else "not measured (from saved jobs)"
    )
    lines.append(
        f"wall {wall} with {result.config['n_jobs']} process(es), 1 thread each "
        f"(OMP/MKL/OpenBLAS/torch); CPU {t['cpu_s']:.0f} s summed over {t['jobs']} jobs"
    )
    return "\n".join(lines)


def _n_ranked(summary: dict) -> int:
    """The rows the ranks are over: those where every arm ran (all rows in results saved
    before arms could be n/a)."""
    return summary.get("n_ranked", summary["n_rows"])


def _over(summary: dict) -> str:
    """ " over the N rows where every arm ran" when arms were n/a on some rows, else ""."""
    n_ranked = _n_ranked(summary)
    return "" if n_ranked == summary["n_rows"] else f" over the {n_ranked} rows where every arm ran"


def cd_title(summary: dict) -> str:
    """The CD diagram's title: the rows its ranks are over (those where every arm ran)."""
    n_ranked = _n_ranked(summary)
    if n_ranked == summary["n_rows"]:
        return f"mean rank over {n_ranked} table x classifier rows"
    return f"mean rank over the {n_ranked} of {summary['n_rows']} rows where every arm ran"
