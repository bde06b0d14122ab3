"""Put a real default run's output into the README, so the sample cannot drift.

    augment run --json out.json                      # the README's main command
    python -m benchmarks.readme_sample out.json      # writes docs/default_run.json, the README

The README block between the ``default-run`` markers is `augment.table.comparison_table` of
``docs/default_run.json`` (the run's summary without its run ids and local paths);
``tests/test_readme_examples.py`` checks that it still is.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from benchmarks import REPO

START, END = "<!-- default-run:start -->", "<!-- default-run:end -->"
VOLATILE = ("mlflow_run_id", "experiment", "generator_uri", "report")


def block(summary: dict) -> str:
    """The README block: markers around `augment.table.comparison_table` of ``summary``."""
    from augment.table import comparison_table

    return f"{START}\n```\n{comparison_table(summary)}\n```\n{END}"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks.readme_sample",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("summary", help="the JSON summary `augment run --json` wrote")
    args = p.parse_args(argv)
    summary = json.loads(Path(args.summary).read_text(encoding="utf-8"))
    kept = {k: v for k, v in summary.items() if k not in VOLATILE}
    (REPO / "docs" / "default_run.json").write_text(json.dumps(kept, indent=1) + "\n")
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    head, rest = readme.split(START, 1)
    _, tail = rest.split(END, 1)
    (REPO / "README.md").write_text(head + block(kept) + tail, encoding="utf-8")
    print("wrote docs/default_run.json and the README block")
    return 0


if __name__ == "__main__":
    sys.exit(main())
