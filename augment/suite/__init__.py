"""The benchmark suite (BENCHMARK.md, "Generalisation"): repeated stratified k-fold on many
tables, the registry's classical arms against ``gan``, corrected paired tests, mean ranks and a
CD diagram. Classifiers come from `augment.classify.make_classifier`, arms from `augment.arms`.

    from augment.suite import run_suite, format_table
    result = run_suite(folds=3, repeats=2, n_jobs=2)
    print(format_table(result))
"""

from augment.suite.arms import (
    ARM_ALIASES,
    Arm,
    ArmSampler,
    FoldContext,
    canonical_arm,
    classical_arms,
    default_arms,
    gan_oversampler,
    load_variant,
    ours,
    registry_arm,
)
from augment.suite.data import (
    SuiteTable,
    default_keel_dir,
    default_tables,
    fold_dataset,
    load_suite_table,
)
from augment.suite.plot import plot_cd
from augment.suite.protocol import CLASSIFIERS, fold_seed, make_folds
from augment.suite.report import format_cost, format_table
from augment.suite.runner import SuiteResult, result_from_outputs, run_suite

__all__ = [
    "ARM_ALIASES",
    "Arm",
    "ArmSampler",
    "CLASSIFIERS",
    "FoldContext",
    "SuiteResult",
    "SuiteTable",
    "canonical_arm",
    "classical_arms",
    "default_arms",
    "default_keel_dir",
    "default_tables",
    "fold_dataset",
    "fold_seed",
    "format_cost",
    "format_table",
    "gan_oversampler",
    "load_suite_table",
    "load_variant",
    "make_folds",
    "ours",
    "plot_cd",
    "registry_arm",
    "result_from_outputs",
    "run_suite",
]
