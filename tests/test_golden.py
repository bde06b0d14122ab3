"""Golden summaries: a refactor must not move a single metric (issue 10).

The JSON summaries in ``tests/golden/`` were written by ``tests/golden/make_golden.py`` before
the experiment core was redesigned; every run of the same configs must reproduce them exactly
(CPU, one thread). Rewrite them only for an intended change of results, and say why.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

GOLDEN = Path(__file__).parent / "golden"
_spec = importlib.util.spec_from_file_location("make_golden", GOLDEN / "make_golden.py")
make_golden = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_golden)


def _differences(want, got, path="") -> list[str]:
    if isinstance(want, dict) and isinstance(got, dict):
        out = [f"{path}/{k}: missing" for k in want.keys() - got.keys()]
        out += [f"{path}/{k}: unexpected" for k in got.keys() - want.keys()]
        for k in want.keys() & got.keys():
            out += _differences(want[k], got[k], f"{path}/{k}")
        return out
    if isinstance(want, list) and isinstance(got, list) and len(want) == len(got):
        return [
            d
            for i, (w, g) in enumerate(zip(want, got, strict=True))
            for d in _differences(w, g, f"{path}[{i}]")
        ]
    return [] if want == got else [f"{path}: {want!r} != {got!r}"]


@pytest.mark.usefixtures("prefect_harness", "one_thread")
@pytest.mark.parametrize("case", sorted(make_golden.CASES))
def test_summary_matches_golden(case, mlflow_tmp):
    want = json.loads((GOLDEN / f"{case}.json").read_text())
    got = make_golden.run_case(make_golden.CASES[case])
    diffs = _differences(want, got)
    assert not diffs, f"{len(diffs)} difference(s) from tests/golden/{case}.json:\n" + "\n".join(
        diffs[:20]
    )
