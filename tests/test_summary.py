"""`augment.experiment.summary.Summary`: the JSON summary key for key, the late facts added in
one place."""

from __future__ import annotations

import ast
import dataclasses
import json
from pathlib import Path

import pytest

from augment.experiment.summary import Summary
from augment.experiment.verdict import verdict
from augment.report import render
from augment.table import comparison_table, markdown_summary

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden"

# the keys of a finished run's JSON summary in the order the flow has always written them
ORDER = [
    "mlflow_run_id",
    "experiment",
    "dataset",
    "dataset_hash",
    "kind",
    "n_train",
    "n_test",
    "class_counts_train",
    "reduced_classes",
    "dropped_classes",
    "seeds",
    "classifier",
    "gan_epochs",
    "sampling_strategy",
    "arms",
    "delta_vs_baseline",
    "gap_recovered",
    "synthetic_quality",
    "gan_seeds",
    "generator_of_seed",
    "per_generator",
    "synthetic_quality_per_generator",
    "verdict",
    "leakage_check",
    "memorisation",
    "report",
    "generator_uri",
]
# what `tests/golden/make_golden.py` leaves out: the fields that name the run
VOLATILE = {
    "mlflow_run_id": "abc123",
    "experiment": "augment",
    "report": "/cache/reports/abc123.html",
    "generator_uri": "models:/m-1",
}


def _finished(case: str) -> dict:
    """A golden run's summary as the flow returned it (the volatile fields put back)."""
    golden = json.loads((GOLDEN / f"{case}.json").read_text())
    return {k: (VOLATILE[k] if k in VOLATILE else golden[k]) for k in ORDER}


@pytest.mark.parametrize("case", ["digits_default", "wine_table"])
def test_the_json_round_trip_is_the_goldens_key_for_key(case):
    finished = _finished(case)
    summary = Summary.from_json(finished)
    assert summary.to_json() == finished
    assert list(summary.to_json()) == ORDER  # the same order, not only the same keys
    assert {f.name for f in dataclasses.fields(Summary)} == set(ORDER)


def test_the_late_facts_appear_only_once_added():
    finished = _finished("wine_table")
    core = {k: v for k, v in finished.items() if k not in ("leakage_check", "memorisation")}
    built = Summary.from_json(
        {k: v for k, v in core.items() if k not in VOLATILE}
        | {
            "mlflow_run_id": None,
            "experiment": None,
        }
    )
    assert list(built.to_json()) == ORDER[:23]  # what build_summary returns
    checked = built.with_checks(finished["leakage_check"], None)
    assert list(checked.to_json()) == ORDER[:25] and checked.to_json()["memorisation"] is None
    done = checked.with_report("/r.html").with_generator("models:/m-1")
    assert list(done.to_json()) == ORDER[:27] and done.report == "/r.html"
    assert built.leakage_check is None and built.report is None  # replaced, never mutated
    with pytest.raises(dataclasses.FrozenInstanceError):
        done.report = "elsewhere"  # type: ignore[misc]


def test_the_readers_take_a_summary_or_its_json(tmp_path):
    finished = _finished("digits_default")
    summary = Summary.from_json(finished)
    assert comparison_table(summary) == comparison_table(finished)
    assert markdown_summary(summary, "x") == markdown_summary(finished, "x")
    assert render(summary, {}, tmp_path, "store") == render(finished, {}, tmp_path, "store")
    assert (
        verdict(summary)
        == verdict(finished)
        == finished["verdict"]
        | {
            "paired_ci95": verdict(summary)["paired_ci95"]  # a tuple, a list once in JSON
        }
    )


def test_no_summary_is_mutated_as_a_dict_in_the_library_or_the_flows():
    """The late facts go through `Summary.with_*`: no ``summary[...] = `` or ``summary |=``."""
    offenders = []
    for path in sorted([*ROOT.glob("augment/**/*.py"), *ROOT.glob("flows/**/*.py")]):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets = []
            if isinstance(node, ast.Assign):
                targets = node.targets
            elif isinstance(node, ast.AugAssign):
                targets = [node.target]
            for t in targets:
                base = t.value if isinstance(t, ast.Subscript) else t
                mutated = isinstance(t, ast.Subscript) or isinstance(node, ast.AugAssign)
                if mutated and isinstance(base, ast.Name) and base.id == "summary":
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not offenders, offenders
