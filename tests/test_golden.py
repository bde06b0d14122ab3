"""Golden summaries: a refactor must not move a metric; a change of CPU must not fail the test.

The JSON summaries in ``tests/golden/`` were written by ``tests/golden/make_golden.py``. A run of
the same configs must reproduce them: exactly where the numbers cannot depend on the machine
(counts, plans, seeds, keys, hashes, the deterministic arms), and within the measured
cross-machine spread of each group in ``tests/golden/tolerances.py`` where they can (see
``tests/golden/SPREAD.md``). Rewrite them only for an intended change of results, and say why.
"""

from __future__ import annotations

import copy
import importlib.util
import json
import sys
from pathlib import Path

import pytest

GOLDEN = Path(__file__).parent / "golden"
sys.path.insert(0, str(GOLDEN))
_spec = importlib.util.spec_from_file_location("make_golden", GOLDEN / "make_golden.py")
make_golden = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_golden)
import tolerances  # noqa: E402  (tests/golden/tolerances.py)

sys.path.remove(str(GOLDEN))

CASES = sorted(make_golden.CASES)


def _golden(case: str) -> dict:
    return json.loads((GOLDEN / f"{case}.json").read_text())


@pytest.mark.usefixtures("prefect_harness", "one_thread")
@pytest.mark.parametrize("case", CASES)
def test_summary_matches_golden(case, mlflow_tmp):
    want = _golden(case)
    got = make_golden.run_case(make_golden.CASES[case])
    for group, (worst, where) in sorted(tolerances.group_spread(case, want, got).items()):
        print(f"{case} {group}: largest difference from the golden {worst:.5f} ({where})")
    diffs = tolerances.differences(case, want, got)
    assert not diffs, f"{len(diffs)} difference(s) from tests/golden/{case}.json:\n" + "\n".join(
        diffs[:20]
    )


def _shift(case: str, summary: dict, factor: float) -> tuple[dict, int]:
    """``summary`` with every number of a toleranced group moved by ``factor`` x its tolerance
    (up, or down where up would leave [0, 1] for a score); how many numbers moved."""
    out = copy.deepcopy(summary)
    moved = 0

    def visit(node, path):
        nonlocal moved
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for key, value in list(items):
            sub = path if isinstance(node, list) else f"{path}/{key}"
            if isinstance(value, (dict, list)):
                visit(value, sub)
                continue
            _, tol = tolerances.group_of(case, sub)
            if tol and isinstance(value, float):
                step = factor * tol
                node[key] = value + step if value + step <= 1.0 or value > 1.0 else value - step
                moved += 1

    visit(out, "")
    return out, moved


@pytest.mark.parametrize("case", CASES)
def test_tolerances_pass_their_spread_and_catch_twice_it(case):
    """Numbers moved by their group's tolerance still match; moved by twice it, every moved
    number is reported; an exact number moved by a hair is reported."""
    want = _golden(case)
    at_tol, moved = _shift(case, want, 1.0 - 1e-9)
    assert moved > 0
    assert tolerances.differences(case, want, at_tol) == []
    beyond, _ = _shift(case, want, 2.0)
    assert len(tolerances.differences(case, want, beyond)) == moved
    exact = copy.deepcopy(want)
    exact["n_train"] += 1
    exact["class_counts_train"] = dict.fromkeys(exact["class_counts_train"], 0)
    assert len(tolerances.differences(case, want, exact)) == 1 + len(exact["class_counts_train"])


def test_every_toleranced_group_names_existing_numbers():
    """A tolerance pattern that matches nothing in its golden is a typo that loosens nothing."""
    for case in CASES:
        paths = {p for p, _, _ in tolerances._leaves(_golden(case))}
        for name, patterns, _ in tolerances.GROUPS[case]:
            for pattern in patterns:
                assert any(tolerances.fnmatchcase(p, pattern) for p in paths), (case, name, pattern)
