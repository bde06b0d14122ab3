"""How many suite rows *any* of the screened variants could put ours above the best classical arm.

An upper bound for issue 11's first bar (ours' mean above the best classical arm's mean on at
least 75% of the table x classifier rows): reads the raw records that
`benchmarks/selection_screen.py` wrote, takes each variant's "ours" mean per row, and counts

- per variant: the rows where it is above the best classical mean (the screens' "rows above");
- per row, the best variant (an oracle that may pick a different generator for each classifier);
- per table, the best single variant for both classifiers (an oracle that knows the table but
  not the classifier, as a sampler would: what choosing a variant by validation could reach).

All files must come from screens on the same folds (every screen here does: `--folds 3
--repeats 2`, seed 0), so their classical arms are identical; the first file's are used.

    python benchmarks/screen_oracle.py \\
        benchmarks/reports/selection_screen/generator_k0.jsonl:herd \\
        benchmarks/reports/selection_screen/pac1_k0.jsonl:herd ...
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CEILING = 0.995  # rows whose best classical mean is at least this leave no room to be above


def ours_means(path: Path, rule: str) -> tuple[dict, dict]:
    """``(ours' mean per row, best classical mean per row)`` from one screen's records, with the
    suite's per-fold scores (`augment.suite.summary.fold_scores`: generator seeds averaged)."""
    from augment.suite.summary import fold_scores

    lines = path.read_text().splitlines()
    scores = fold_scores([r for line in lines for r in json.loads(line)["records"]])
    ours = {(t, c): float(v.mean()) for (t, c, arm), v in scores.items() if arm == f"ours:{rule}"}
    if not ours:
        raise SystemExit(f"{path}: no records of rule {rule!r}")
    best: dict = {}
    for (t, c, arm), v in scores.items():
        if not arm.startswith("ours"):
            best[t, c] = max(best.get((t, c), -np.inf), float(v.mean()))
    return ours, best


def upper_bounds(variants: dict[str, dict], best: dict) -> dict:
    """Rows above the best classical mean: per variant, with a per-row and a per-table oracle."""
    rows = sorted(best)
    above = {name: {r for r in rows if m[r] > best[r]} for name, m in variants.items()}
    any_row = set().union(*above.values())
    tables = sorted({t for t, _ in rows})
    return {
        "rows": len(rows),
        "ceiling": sum(best[r] >= CEILING for r in rows),
        "per_variant": {name: len(rs) for name, rs in above.items()},
        "per_row": len(any_row),
        "per_table": sum(max(sum(r[0] == t for r in rs) for rs in above.values()) for t in tables),
        "never": [r for r in rows if r not in any_row],
    }


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("variants", nargs="+", help="FILE:RULE, one per screened variant")
    a = p.parse_args(argv)
    variants, best = {}, None
    for spec in a.variants:
        path, _, rule = spec.rpartition(":")
        means, row_best = ours_means(Path(path), rule)
        variants[f"{Path(path).stem}:{rule}"] = means
        best = best or row_best
    b = upper_bounds(variants, best)
    n = b["rows"]
    print(f"{n} rows; best classical mean >= {CEILING}: {b['ceiling']}\n")
    print("| variant | rows above |\n|---|---|")
    for name, count in b["per_variant"].items():
        print(f"| {name} | {count} |")
    print(f"\nany variant, chosen per row: {b['per_row']} of {n}")
    print(f"one variant per table (both classifiers): {b['per_table']} of {n}")
    print(f"never above under any variant: {', '.join(f'{t} {c}' for t, c in b['never'])}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
