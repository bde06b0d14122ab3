"""Put a real default run's output into the README, so the sample cannot drift.

    augment run --json out.json                      # the README's main command
    python benchmarks/readme_sample.py out.json      # writes docs/default_run.json, the README

The README block between the ``default-run`` markers is `augment.table.comparison_table` of
``docs/default_run.json`` (the run's summary without its run ids and local paths);
``tests/test_readme_examples.py`` checks that it still is.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from augment.table import comparison_table  # noqa: E402

START, END = "<!-- default-run:start -->", "<!-- default-run:end -->"
VOLATILE = ("mlflow_run_id", "experiment", "generator_uri", "report")


def block(summary: dict) -> str:
    return f"{START}\n```\n{comparison_table(summary)}\n```\n{END}"


def main() -> None:
    summary = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    kept = {k: v for k, v in summary.items() if k not in VOLATILE}
    (ROOT / "docs" / "default_run.json").write_text(json.dumps(kept, indent=1) + "\n")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    head, rest = readme.split(START, 1)
    _, tail = rest.split(END, 1)
    (ROOT / "README.md").write_text(head + block(kept) + tail, encoding="utf-8")
    print("wrote docs/default_run.json and the README block")


if __name__ == "__main__":
    main()
