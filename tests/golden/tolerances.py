"""Which numbers of a golden summary may move with the machine, and by how much.

Everything a golden holds is compared exactly (counts, class plans, seeds, keys, hashes,
strings, the deterministic arms), except the groups below: numbers computed through
floating-point kernels that differ between CPUs (OpenBLAS/MKL/oneDNN pick their kernels by
the CPU they run on) and that training then amplifies. Each tolerance is the largest
difference measured from the golden across machines and emulated CPUs, times a margin; how it
was measured, and the figures, are in SPREAD.md beside this file.

A group with tolerance None is not compared: a t-interval over 2 seeds is the mean +- 9x the
seeds' spread, so it moves 9x as far as the values it is built from (which are compared).
"""

from __future__ import annotations

import re
from fnmatch import fnmatchcase
from typing import Any

# (group, path patterns, tolerance); a path is "/key/key" with list positions dropped
GROUPS: dict[str, list[tuple[str, tuple[str, ...], float | None]]] = {
    "wine_table": [
        # the random forest C2ST on synthetic rows chosen by nearest-neighbour distances (BLAS)
        ("c2st", ("/synthetic_quality*/c2st_auc",), 0.003),
        # measured 0; one test row of the smallest class moves it by about 0.02
        ("tstr", ("/synthetic_quality*/tstr_balanced_accuracy",), 0.02),
    ],
    "digits_default": [
        # every arm trains the small CNN (torch convolutions)
        (
            "cnn metrics",
            (
                "/arms/*/*/values",
                "/arms/*/*/mean",
                "/per_generator/*/*",
                "/delta_vs_baseline/*/*",
                "/verdict/difference",
                "/verdict/paired_ci95",
            ),
            0.06,
        ),
        ("gap recovered", ("/gap_recovered/*",), 0.07),
        ("tstr", ("/synthetic_quality*/tstr_balanced_accuracy",), 0.08),
        # measured 0 (a forest on the generated pixels); kept loose like the CNN's inputs
        ("c2st", ("/synthetic_quality*/c2st_auc",), 0.01),
        (
            "image quality",
            (
                "/synthetic_quality*/precision",
                "/synthetic_quality*/recall",
                "/synthetic_quality*/density",
                "/synthetic_quality*/coverage",
                "/synthetic_quality*/diversity_*",
            ),
            0.02,
        ),
        (
            "memorisation",
            ("/memorisation/per_class/*/dcr_*", "/memorisation/per_class/*/ratio"),
            0.005,
        ),
        ("spreads", ("/arms/*/*/std", "/arms/*/*/ci95", "/verdict/lines"), None),
        ("domain FID", ("/synthetic_quality*/fid_domain",), None),
    ],
}


def _leaves(obj: Any, path: str = "", pos: str = "") -> list[tuple[str, str, Any]]:
    """``(pattern path, full path, value)`` of every leaf; lists add ``[i]`` to the full path."""
    if isinstance(obj, dict):
        return [x for k, v in obj.items() for x in _leaves(v, f"{path}/{k}", f"{pos}/{k}")]
    if isinstance(obj, list):
        return [x for i, v in enumerate(obj) for x in _leaves(v, path, f"{pos}[{i}]")]
    return [(path, pos, obj)]


def group_of(case: str, path: str) -> tuple[str, float | None]:
    """The group of ``path`` in ``case`` and its tolerance; ``("exact", 0.0)`` when none."""
    for name, patterns, tol in GROUPS.get(case, []):
        if any(fnmatchcase(path, p) for p in patterns):
            return name, tol
    return "exact", 0.0


def _number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def differences(case: str, want: Any, got: Any) -> list[str]:
    """Every place ``got`` differs from ``want`` beyond its group's tolerance."""
    w = {full: (p, v) for p, full, v in _leaves(want)}
    g = {full: v for _, full, v in _leaves(got)}
    out = [f"{k}: missing" for k in w.keys() - g.keys()]
    out += [f"{k}: unexpected" for k in g.keys() - w.keys()]
    for full in sorted(w.keys() & g.keys()):
        path, expected = w[full]
        value = g[full]
        _, tol = group_of(case, path)
        if tol is None:
            continue
        if tol and _number(expected) and _number(value) and abs(expected - value) <= tol:
            continue
        if expected != value or type(expected) is not type(value):
            out.append(f"{full}: {expected!r} != {value!r}")
    return out


def group_spread(case: str, want: Any, got: Any) -> dict[str, tuple[float, str]]:
    """Per group, the largest absolute difference between matching numbers and where."""
    g = {full: v for _, full, v in _leaves(got)}
    worst: dict[str, tuple[float, str]] = {}
    for path, full, expected in _leaves(want):
        value = g.get(full)
        name, _ = group_of(case, path)
        if _number(expected) and _number(value):
            d = abs(float(expected) - float(value))
        else:
            d = 0.0 if expected == value else float("inf")
        if d >= worst.get(name, (-1.0, ""))[0]:
            worst[name] = (d, re.sub(r"\s+", "", full))
    return worst
