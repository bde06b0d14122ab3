"""augment as a Prefect building block (`flows.blocks`): a user's own flow hands a DataFrame
to the subflow and the tasks, and reads the classifier and the generator back from MLflow."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from augment.exceptions import ConfigError
from flows.blocks import balance, evaluate_arms, fit_generator, frame_file

pytestmark = pytest.mark.usefixtures("prefect_harness", "one_thread")


def _frame() -> pd.DataFrame:
    """Two classes of integer labels, the second rare: a user's own table."""
    rng = np.random.default_rng(0)
    y = np.array([0] * 60 + [1] * 15)
    return pd.DataFrame(
        {"size": rng.normal(size=75) + 2.0 * y, "colour": rng.choice(["r", "g"], 75), "y": y}
    )


# A whole user flow over evaluate_arms, fit_generator and balance: the README's example, run
# by tests/test_readme_examples.py::test_your_own_prefect_flow_example_runs.


def test_the_frame_file_is_named_by_content_and_written_once(tmp_path):
    a = frame_file(_frame(), tmp_path)
    stamp = a.stat().st_mtime_ns
    assert frame_file(_frame(), tmp_path) == a and a.stat().st_mtime_ns == stamp
    other = _frame().assign(size=lambda f: f["size"] + 1)
    assert frame_file(other, tmp_path) != a
    assert frame_file(_frame().astype({"y": "float64"}), tmp_path) != a  # dtypes count


def test_user_mistakes_are_augment_errors_and_write_nothing(tmp_path, mlflow_tmp):
    from augment.exceptions import AugmentError

    with pytest.raises(AugmentError, match="label column 'nope' not found"):
        evaluate_arms(_frame(), "nope", config={"orchestration": {"cache_dir": str(tmp_path)}})
    with pytest.raises(ConfigError, match="epochs"):
        fit_generator.fn(_frame(), "y", epochs=0)
    with pytest.raises(ConfigError, match="already exists"):
        (tmp_path / "b.csv").write_text("mine")
        balance.fn(_frame(), "y", "runs:/0123456789abcdef0123456789abcdef/generator", "b.csv")
    assert (tmp_path / "b.csv").read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.csv"]  # no frame file, no store
