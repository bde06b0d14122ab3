"""The benchmark suite (BENCHMARK.md, "Generalisation"): repeated stratified k-fold on many
tables, classical arms against "ours", corrected paired tests, mean ranks and a CD diagram.

    from augment.suite import run_suite, format_table
    result = run_suite(folds=3, repeats=2, n_jobs=2)
    print(format_table(result))
"""

from augment.suite.arms import (
    Arm,
    FoldContext,
    classical_arms,
    default_arms,
    gan_oversampler,
    load_variant,
    ours,
    smote_for,
)
from augment.suite.classifiers import CLASSIFIERS, make_classifier
from augment.suite.data import SuiteTable, default_keel_dir, default_tables, load_suite_table
from augment.suite.plot import plot_cd
from augment.suite.protocol import fold_seed, make_folds
from augment.suite.report import format_cost, format_table
from augment.suite.runner import SuiteResult, result_from_outputs, run_suite

__all__ = [
    "Arm",
    "CLASSIFIERS",
    "FoldContext",
    "SuiteResult",
    "SuiteTable",
    "classical_arms",
    "default_arms",
    "default_keel_dir",
    "default_tables",
    "fold_seed",
    "format_cost",
    "format_table",
    "gan_oversampler",
    "load_suite_table",
    "load_variant",
    "make_classifier",
    "make_folds",
    "ours",
    "plot_cd",
    "result_from_outputs",
    "run_suite",
    "smote_for",
]
