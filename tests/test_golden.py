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


# The image case trains a CNN and an image GAN: their convolution kernels round differently on
# other CPUs (the golden was written on one machine; on an AMD EPYC CI machine 208 values moved,
# by at most ~0.02), and training amplifies the last bits. Its numbers are compared to within
# TOLERANCE; its structure, and the table case, exactly.
# Spreads are not compared there: with 2 seeds a t-interval's half-width is 9x the seeds' spread
# (ci95, std, and the verdict text that quotes them), the domain FID is on another scale.
TOLERANCE = {"digits_default": 0.03}
LOOSE_KEYS = ("ci95", "std", "fid_domain", "lines")  # lines: the verdict text quotes CIs


def _differences(want, got, path="", tol=0.0) -> list[str]:
    if isinstance(want, dict) and isinstance(got, dict):
        out = [f"{path}/{k}: missing" for k in want.keys() - got.keys()]
        out += [f"{path}/{k}: unexpected" for k in got.keys() - want.keys()]
        for k in want.keys() & got.keys():
            if tol and k in LOOSE_KEYS:
                continue
            out += _differences(want[k], got[k], f"{path}/{k}", tol)
        return out
    if isinstance(want, list) and isinstance(got, list) and len(want) == len(got):
        return [
            d
            for i, (w, g) in enumerate(zip(want, got, strict=True))
            for d in _differences(w, g, f"{path}[{i}]", tol)
        ]
    numbers = (int, float)
    if tol and isinstance(want, numbers) and isinstance(got, numbers):
        if not isinstance(want, bool) and abs(want - got) <= tol:
            return []
    return [] if want == got else [f"{path}: {want!r} != {got!r}"]


@pytest.mark.usefixtures("prefect_harness", "one_thread")
@pytest.mark.parametrize("case", sorted(make_golden.CASES))
def test_summary_matches_golden(case, mlflow_tmp):
    want = json.loads((GOLDEN / f"{case}.json").read_text())
    got = make_golden.run_case(make_golden.CASES[case])
    diffs = _differences(want, got, tol=TOLERANCE.get(case, 0.0))
    if case in TOLERANCE:
        worst = _worst(want, got)
        print(f"{case}: largest difference from the golden {worst:.4f}")
    assert not diffs, f"{len(diffs)} difference(s) from tests/golden/{case}.json:\n" + "\n".join(
        diffs[:20]
    )


def _worst(want, got) -> float:
    """The largest absolute difference between matching numbers of ``want`` and ``got``."""
    if isinstance(want, dict) and isinstance(got, dict):
        keys = (want.keys() & got.keys()) - set(LOOSE_KEYS)
        return max((_worst(want[k], got[k]) for k in keys), default=0.0)
    if isinstance(want, list) and isinstance(got, list) and len(want) == len(got):
        return max((_worst(w, g) for w, g in zip(want, got, strict=True)), default=0.0)
    if isinstance(want, (int, float)) and isinstance(got, (int, float)):
        return abs(float(want) - float(got))
    return 0.0
