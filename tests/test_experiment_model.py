"""One experiment model: `augment run` and the benchmark suite share the classifier factory,
the arm registry and its names, the best-classical rule and the seed pairing (issue 28)."""

from __future__ import annotations

import io
import tokenize
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import augment.classify
from augment.arms import best_classical, get
from augment.classify import SKLEARN_CLASSIFIERS, make_classifier
from augment.data import dataset_from_frame
from augment.experiment.pairing import generator_of
from augment.suite import SuiteTable, classical_arms, registry_arm, run_suite
from augment.suite.protocol import CLASSIFIER_SEED

ROOT = Path(__file__).resolve().parents[1]


def _mixed_table(n: int = 60) -> SuiteTable:
    rng = np.random.default_rng(0)
    y = (rng.random(n) < 0.25).astype(np.int64)
    y[:4] = 1
    X = pd.DataFrame({"x": rng.normal(y * 2.0, 1.0), "z": rng.normal(size=n)})
    X["colour"] = np.where(rng.random(n) < 0.5 + 0.3 * y, "red", "blue")
    return SuiteTable("mixed", X, y, ["a", "b"], ["colour"])


def _params(est) -> dict[str, str]:
    """Every (deep) parameter of an estimator, printed: equal iff configured alike."""
    return {k: repr(v) for k, v in est.get_params(deep=True).items()}


@pytest.mark.parametrize("arm", ["baseline", "class_weight"])
def test_suite_and_run_build_the_same_classifier_for_a_name_and_seed(arm, monkeypatch):
    from augment.suite import protocol

    assert protocol.make_classifier is augment.classify.make_classifier  # one factory
    built = []

    def recording(*args, **kwargs):
        built.append(make_classifier(*args, **kwargs))
        return built[-1]

    monkeypatch.setattr(protocol, "make_classifier", recording)
    table = _mixed_table()
    run_suite([table], {arm: registry_arm(arm)}, SKLEARN_CLASSIFIERS, folds=2, repeats=1)
    assert len(built) == 2 * len(SKLEARN_CLASSIFIERS)
    # the same table as `augment run` reads it: numbers continuous, text discrete
    run_data = dataset_from_frame(table.X.assign(label=table.y), "label", "mixed")
    assert (run_data.continuous, run_data.discrete) == (table.numeric, table.nominal)
    for name, suite_clf in zip(SKLEARN_CLASSIFIERS, built, strict=False):
        run_clf = make_classifier(name, run_data, CLASSIFIER_SEED, get(arm).class_weight)
        assert _params(suite_clf) == _params(run_clf)


def test_suite_arm_names_are_the_registry_names():
    for name, arm in classical_arms().items():
        spec = get(name)  # raises for a name the registry does not know
        assert arm.class_weight == spec.class_weight and spec.classical


def test_best_classical_is_one_rule():
    means = {"gan": 0.9, "baseline": 0.5, "smote": 0.7, "class_weight": 0.7, "oracle": 0.99}
    assert best_classical(means) == "smote"  # ties: the first in order; never gan or oracle
    assert best_classical(means, ["baseline"]) == "baseline"
    assert best_classical({"gan": 0.9}) is None


def _seed_mod_expressions(path: Path) -> list[int]:
    """Lines of ``path`` where a seed (a name ``s`` or ``*seed*``) is taken modulo something."""
    lines, prev = [], None
    for tok in tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline):
        if tok.type == tokenize.OP and tok.string == "%" and prev is not None:
            if prev.type == tokenize.NAME and (prev.string == "s" or "seed" in prev.string):
                lines.append(tok.start[0])
        if tok.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT):
            prev = tok
    return lines


def test_seed_pairing_is_written_once():
    assert [generator_of(s, 3) for s in range(5)] == [0, 1, 2, 0, 1]
    found = {
        f"{p.relative_to(ROOT)}:{line}"
        for folder in ("augment", "flows", "benchmarks")
        for p in sorted((ROOT / folder).rglob("*.py"))
        for line in _seed_mod_expressions(p)
    }
    assert len(found) == 1 and next(iter(found)).startswith("augment/experiment/pairing.py:"), found
