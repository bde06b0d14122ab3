"""Adding an arm is one module: a dummy arm declared here appears in the CLI help, the config,
the flow, the summary and the MLflow runs, with nothing else touched (issue 10)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from mlflow.tracking import MlflowClient

from augment.arms import Arm, applicable_arms, get, names, register, unregister
from augment.cli import main
from augment.config import build_config


def _twice(draw):
    """Every train row twice: a harmless arm whose training set is recognisable."""
    train = draw.train
    return pd.concat([train.X, train.X], ignore_index=True), np.concatenate([train.y, train.y])


@pytest.fixture
def dummy_arm():
    arm = register(
        Arm(
            name="twice",
            help="every train row twice (a test arm)",
            build=_twice,
            order=99,
            default=False,
            kinds=("table",),
        )
    )
    yield arm
    unregister("twice")


def test_dummy_arm_is_listed_and_accepted_by_the_config(dummy_arm, capsys):
    assert "twice" in names() and get("twice") is dummy_arm
    assert main(["arms"]) == 0
    assert "every train row twice (a test arm)" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    assert "twice" in capsys.readouterr().out.replace("\n", " ")
    assert build_config({"arms": ["baseline", "twice"]}).arms == ["baseline", "twice"]


def test_unregistered_arm_is_a_config_error():
    from augment.exceptions import ConfigError

    with pytest.raises(ConfigError, match="unknown arm.*'twice'"):
        build_config({"arms": ["baseline", "twice"]})


def test_arm_kinds_and_requirements_give_reasons(dummy_arm, wine_splits):
    image_only = register(
        Arm(name="pixels", help="images only", build=_twice, order=98, kinds=("image",))
    )
    try:
        arms, skipped = applicable_arms(["baseline", "twice", "pixels"], wine_splits)
    finally:
        unregister("pixels")
    assert arms == ["baseline", "twice"]
    assert skipped == {"pixels": "the pixels arm runs on image data, not a table"}
    assert image_only.uses_generator is False


@pytest.mark.usefixtures("prefect_harness")
def test_dummy_arm_runs_in_the_flow_and_reaches_summary_and_mlflow(dummy_arm, mlflow_tmp):
    from flows import augmentation_flow

    cfg = build_config(
        {
            "data": {"source": "builtin:wine", "imbalance_fraction": 0.2},
            "arms": ["baseline", "twice"],
            "seeds": 1,
            "classifier": "logistic_regression",
        }
    )
    summary = augmentation_flow(cfg)
    assert set(summary["arms"]) == {"baseline", "twice"}
    n_train = summary["n_train"]
    client = MlflowClient(mlflow_tmp)
    parent = client.get_run(summary["mlflow_run_id"])
    kids = client.search_runs(
        [parent.info.experiment_id],
        filter_string=f"tags.mlflow.parentRunId = '{parent.info.run_id}'",
    )
    twice = next(r for r in kids if r.data.tags["arm"] == "twice")
    assert int(twice.data.params["n_train"]) == 2 * n_train  # its own training set was used
    assert "delta_balanced_accuracy_twice" in parent.data.metrics


def test_classical_arms_are_the_remedies_without_a_generator_or_a_reference(dummy_arm):
    from augment.arms import best_classical, classical_arms, generator_arms

    assert get("oracle").reference and "oracle" not in classical_arms()
    assert not set(classical_arms()) & set(generator_arms())
    assert {"baseline", "smote", "random_oversample", "class_weight", "twice"} <= set(
        classical_arms()
    )
    assert best_classical({"gan": 0.9, "oracle": 0.95, "twice": 0.6, "baseline": 0.5}) == "twice"


def test_the_parser_imports_no_arm_until_help_is_printed():
    """Building the CLI's parser and parsing ``--arms`` import no arm (scikit-learn, SciPy):
    a command refused by its first check stays a fraction of a second; ``run --help`` still
    lists the registered arms."""
    code = (
        "import sys\n"
        "from augment.cli.main import parser\n"
        "args = parser().parse_args(['run', '--arms', 'baseline,smote'])\n"
        "assert args.arms == 'baseline,smote', args.arms\n"
        "print(sorted(m for m in sys.modules if m.startswith(('augment.arms', 'sklearn'))))\n"
        "try:\n"
        "    parser().parse_args(['run', '--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    first, *help_text = done.stdout.splitlines()
    assert first == "[]"
    assert "smote" in " ".join(help_text) and "`augment arms` describes them" in " ".join(help_text)
