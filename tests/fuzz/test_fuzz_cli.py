"""The CLI fuzzer: one test per input family, each example the real `augment` command on tiny
settings, checked against the contract in `harness` (README, Reliability).

A test runs all its examples, records each one's outcome, and fails at the end listing the
distinct contract violations (no shrinking: an example runs the whole CLI). Profiles and
counts: `conftest.py`.
"""

from __future__ import annotations

import time
import warnings

import pytest
from cases import (
    command_example,
    config_example,
    environment_example,
    generate_example,
    image_example,
    table_example,
)
from harness import Findings, release_read_only, run_example
from hypothesis import given, seed
from profiles import PROFILE, fuzz_settings, time_budget_s
from strategies import (
    commands,
    configs,
    environments,
    generate_options,
    image_folders,
    tables,
)

pytestmark = pytest.mark.fuzz


@pytest.fixture
def findings(request, fuzz_out):
    worker = getattr(request.config, "workerinput", {}).get("workerid", "main")
    family = request.node.name.removeprefix("test_")
    return Findings(fuzz_out, worker, family)


def _fuzz(findings: Findings, strategy, run_one, seed_value) -> None:
    """Run every example hypothesis draws from ``strategy`` through ``run_one`` (recipe ->
    outcome), within the profile's time budget; then fail listing the distinct findings."""
    budget = time_budget_s()
    start = time.monotonic()
    seen: set[str] = set()

    @fuzz_settings(findings.family)
    @given(strategy)
    def body(recipe):
        if budget is not None and time.monotonic() - start > budget:
            findings.skipped += 1
            return
        if repr(recipe) in seen:  # drawn again by other choices: the CLI would say the same
            findings.duplicates += 1
            return
        seen.add(repr(recipe))
        findings.record(run_one(recipe))

    if seed_value is not None:
        body = seed(seed_value)(body)
    body()
    report = findings.report()
    print(report)
    # a warning reaches the end of any pytest run (also from xdist workers): the counts. A
    # plain UserWarning: xdist's controller cannot import a warning class of a test module
    summary = "fuzz summary: " + report.splitlines()[0] + f" [findings in {findings.folder}]"
    warnings.warn(UserWarning(summary), stacklevel=2)
    assert not findings.distinct(), report


def _seed(request):
    return None if PROFILE == "ci" else request.config._fuzz_seed


def test_tables(findings, examples_dir, fuzz_home, shared_prefect, request):
    """CSV dialects and encodings, Parquet dtypes, hostile names and labels, 0-80 rows."""

    def one(recipe):
        ex = table_example(recipe, examples_dir)
        return run_example(ex, fuzz_home, shared_prefect)

    _fuzz(findings, tables(), one, _seed(request))


def test_images(findings, examples_dir, fuzz_home, shared_prefect, request):
    """Image folders: modes, sizes, bit depths, hostile class folders, damaged files."""

    def one(recipe):
        ex = image_example(recipe, examples_dir)
        return run_example(ex, fuzz_home, shared_prefect)

    _fuzz(findings, image_folders(), one, _seed(request))


def test_configs(findings, examples_dir, fuzz_home, shared_prefect, request):
    """Run configs and mlflow.yml: wrong types, ranges, unknown keys, aliases, roots."""

    def one(recipe):
        ex = config_example(recipe, examples_dir)
        return run_example(ex, fuzz_home, shared_prefect)

    _fuzz(findings, configs(), one, _seed(request))


def test_environments(findings, examples_dir, fuzz_home, loopback_servers, template_store, request):
    """Tracking stores, read-only folders, busy ports, Prefect and MLflow servers that do not
    answer (all on 127.0.0.1), outputs that collide with inputs."""

    def one(recipe):
        try:
            with environment_example(recipe, examples_dir, loopback_servers, template_store) as ex:
                return run_example(ex, fuzz_home)
        finally:
            release_read_only(examples_dir)

    _fuzz(findings, environments(), one, _seed(request))


def test_generate(findings, examples_dir, fuzz_home, models, shared_prefect, request):
    """`augment generate` on logged generators: URIs, --n, --class, --out, --seed, --force."""

    def one(recipe):
        with generate_example(recipe, examples_dir, models) as ex:
            return run_example(ex, fuzz_home, shared_prefect)

    _fuzz(findings, generate_options(), one, _seed(request))


def test_commands(
    findings, examples_dir, fuzz_home, loopback_servers, models, template_store, request
):
    """`augment compare` and `augment serve` options against stores with and without runs."""

    def one(recipe):
        with command_example(recipe, examples_dir, loopback_servers, models, template_store) as ex:
            return run_example(ex, fuzz_home)

    _fuzz(findings, commands(), one, _seed(request))
