"""Measure how far the golden cases move when only the machine's arithmetic changes.

Run by hand: ``python tests/golden/measure_spread.py OUT_DIR`` runs every case of
`make_golden.CASES` once per *variant*, in a fresh interpreter each, one thread, and writes
``OUT_DIR/<variant>-<case>.json``; then ``python tests/golden/measure_spread.py OUT_DIR --report``
prints, per tolerance group of `tolerances.py`, the largest difference from the golden.

A variant emulates another CPU on this one: the kernels numpy's OpenBLAS, torch's vectorised
ops, MKL and oneDNN pick are chosen by the CPU they run on; these variables pin other choices
(the same code paths another x86 CPU takes). ``native`` is this machine as it is.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent
ROOT = HERE.parents[1]

VARIANTS: dict[str, dict[str, str]] = {
    "native": {},
    # an Intel AVX2 machine's OpenBLAS kernels (this machine picks its Zen kernels)
    "openblas-haswell": {"OPENBLAS_CORETYPE": "Haswell"},
    # an old CPU: no AVX in torch's vectorised ops, MKL, oneDNN or OpenBLAS
    "no-avx": {
        "OPENBLAS_CORETYPE": "Nehalem",
        "ATEN_CPU_CAPABILITY": "default",
        "MKL_ENABLE_INSTRUCTIONS": "SSE4_2",
        "ONEDNN_MAX_CPU_ISA": "SSE41",
    },
    # two threads instead of one (the tests pin one; a user's run may not)
    "two-threads": {"OMP_NUM_THREADS": "2", "AUGMENT_GOLDEN_THREADS": "2"},
}

CHILD = """
import json, os, sys, tempfile
sys.path.insert(0, sys.argv[3])
import torch
torch.set_num_threads(int(os.environ.get("AUGMENT_GOLDEN_THREADS", "1")))
import make_golden
tmp = tempfile.mkdtemp()
os.chdir(tmp)
os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{tmp}/mlflow.db"
from prefect.testing.utilities import prefect_test_harness
with prefect_test_harness(server_startup_timeout=300):
    out = make_golden.run_case(make_golden.CASES[sys.argv[1]])
open(sys.argv[2], "w").write(json.dumps(out, indent=1, sort_keys=True))
"""


def run(out_dir: Path, variants: list[str]) -> None:
    sys.path.insert(0, str(HERE))
    import make_golden

    out_dir.mkdir(parents=True, exist_ok=True)
    for variant in variants:
        for case in make_golden.CASES:
            target = out_dir / f"{variant}-{case}.json"
            if target.exists():
                continue
            env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(ROOT))
            env |= VARIANTS[variant]
            env = {k: v for k, v in env.items() if not k.startswith(("PREFECT_API", "MLFLOW_"))}
            subprocess.run(
                [sys.executable, "-c", CHILD, case, str(target), str(HERE)], env=env, check=True
            )
            print("wrote", target, flush=True)


def report(out_dir: Path) -> None:
    sys.path.insert(0, str(HERE))
    from tolerances import group_spread

    for path in sorted(out_dir.glob("*.json")):
        variant, case = path.stem.split("-", 1) if "-" not in path.stem[:3] else ("?", path.stem)
        for name in ("digits_default", "wine_table"):
            if path.stem.endswith(name):
                variant, case = path.stem[: -len(name) - 1], name
        want = json.loads((HERE / f"{case}.json").read_text())
        got = json.loads(path.read_text())
        for group, (worst, where) in group_spread(case, want, got).items():
            print(f"{case:15} {variant:17} {group:28} {worst:.5f}  {where}")


if __name__ == "__main__":
    target = Path(sys.argv[1])
    if "--report" in sys.argv:
        report(target)
    else:
        run(target, [v for v in sys.argv[2:] if v in VARIANTS] or list(VARIANTS))
