"""The upper bound quoted for issue 11's first bar (benchmarks/screen_oracle.py) counts right."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _oracle():
    spec = importlib.util.spec_from_file_location(
        "screen_oracle", ROOT / "benchmarks" / "screen_oracle.py"
    )
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _screen(path: Path, scores: dict) -> None:
    """One screen's records: ``scores[(table, clf, arm)] = [fold scores]``."""
    records = [
        dict(table=t, classifier=c, arm=arm, repeat=0, fold=f, balanced_accuracy=v)
        for (t, c, arm), vs in scores.items()
        for f, v in enumerate(vs)
    ]
    path.write_text(json.dumps({"records": records}) + "\n")


def test_oracles_count_rows_above_the_best_classical_mean(tmp_path, capsys):
    classical = {
        ("a", "lr", "smote"): [0.80, 0.82],  # best of a/lr: 0.81
        ("a", "lr", "none"): [0.70, 0.70],
        ("a", "hgb", "smote"): [0.90, 0.90],
        ("b", "lr", "smote"): [0.60, 0.60],
        ("b", "hgb", "smote"): [0.999, 0.999],  # at the ceiling
    }
    # variant x: above on a/lr and b/lr; variant y: above on a/hgb only
    x = {
        ("a", "lr", "ours:x"): [0.85, 0.85],
        ("a", "hgb", "ours:x"): [0.80, 0.80],
        ("b", "lr", "ours:x"): [0.61, 0.61],
        ("b", "hgb", "ours:x"): [0.999, 0.999],
    }
    y = {
        ("a", "lr", "ours:y"): [0.81, 0.81],
        ("a", "hgb", "ours:y"): [0.95, 0.95],
        ("b", "lr", "ours:y"): [0.50, 0.50],
        ("b", "hgb", "ours:y"): [0.99, 0.99],
    }
    _screen(tmp_path / "one.jsonl", {**classical, **x})
    _screen(tmp_path / "two.jsonl", {**classical, **y})
    mod = _oracle()
    variants, best = {}, None
    for name, rule in (("one", "x"), ("two", "y")):
        means, row_best = mod.ours_means(tmp_path / f"{name}.jsonl", rule)
        variants[rule], best = means, best or row_best
    b = mod.upper_bounds(variants, best)
    assert b["rows"] == 4 and b["ceiling"] == 1
    assert b["per_variant"] == {"x": 2, "y": 1}  # a tie (0.81 = 0.81, 0.999) is not above
    assert b["per_row"] == 3  # a/lr, b/lr from x; a/hgb from y
    assert b["per_table"] == 2  # one variant per table: a gets 1 (x or y), b gets 1 (x)
    assert b["never"] == [("b", "hgb")]
    assert mod.main([f"{tmp_path / 'one.jsonl'}:x", f"{tmp_path / 'two.jsonl'}:y"]) == 0
    assert "any variant, chosen per row: 3 of 4" in capsys.readouterr().out
