"""Write the golden JSON summaries that `tests/test_golden.py` compares against.

Run by hand (``python tests/golden/make_golden.py``) only when a change of results is intended,
and say why in the commit message: the golden test exists so a refactor cannot move a metric.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).parent

# the default run (builtin:digits, the CNN, six arms, two generators) at tiny epochs, and a
# table run with every table arm
CASES = {
    "digits_default": {"gan": {"epochs": 2}, "seeds": 2},
    "wine_table": {
        "data": {"source": "builtin:wine", "imbalance_fraction": 0.2},
        "gan": {"epochs": 3, "batch_size": 32},
        "seeds": 2,
        "arms": [
            "baseline",
            "gan",
            "smote",
            "oracle",
            "random_oversample",
            "class_weight",
        ],
    },
}
VOLATILE = ("mlflow_run_id", "experiment", "generator_uri", "report")


def stable(summary: dict) -> dict:
    """The summary without the fields that name this run (ids, URIs)."""
    return json.loads(json.dumps({k: v for k, v in summary.items() if k not in VOLATILE}))


def run_case(values: dict) -> dict:
    from augment.config import build_config
    from flows import augmentation_flow

    return stable(augmentation_flow(build_config(values)))


def main() -> None:
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    names = sys.argv[1:] or list(CASES)
    with tempfile.TemporaryDirectory() as tmp:
        os.chdir(tmp)
        os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{tmp}/mlflow.db"
        for name in names:
            out = run_case(CASES[name])
            (HERE / f"{name}.json").write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")
            print("wrote", HERE / f"{name}.json")


if __name__ == "__main__":
    main()
