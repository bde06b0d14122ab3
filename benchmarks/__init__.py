"""Benchmarks run by hand (not in CI, not in the wheel): thin CLIs over the library.

    python -m benchmarks.suite --help     # tables x arms x classifiers, variants of the gan arm
    python -m benchmarks.tabular --help   # the tabular GAN against `ctgan`
    python -m benchmarks.images --help    # every arm on imbalanced digits and MNIST
    python -m benchmarks.readme_sample --help  # the README's sample-run block

Data kept outside the repository (KEEL tables, MNIST) is read from ``--data-root``, else
``$AUGMENT_DATA_ROOT``, else ``../shared/data`` beside the checkout. See benchmarks/README.md.
"""

from __future__ import annotations

import os
from pathlib import Path

#: environment variable naming the data folder (``keel/``, ``mnist-test/``)
DATA_ENV = "AUGMENT_DATA_ROOT"
#: the checkout this package sits in
REPO = Path(__file__).resolve().parents[1]
#: where the CLIs write their results by default (git-ignored)
RESULTS = REPO / "benchmarks" / "results"


def data_root(cli_value: str | None = None) -> Path:
    """The data folder: ``cli_value`` (``--data-root``), ``$AUGMENT_DATA_ROOT`` or
    ``../shared/data`` beside the checkout, in that order."""
    if cli_value:
        return Path(cli_value)
    env = os.environ.get(DATA_ENV)
    return Path(env) if env else REPO.parent / "shared" / "data"


def not_found(what: str, path: Path) -> str:
    """The one-line message for data that is not there."""
    return f"{what}: {path} not found (pass --data-root DIR or set {DATA_ENV}=DIR)"
