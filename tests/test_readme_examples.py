"""The README's runnable examples run as written (so they cannot drift from the code)."""

import ast
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def test_images_in_your_own_pipeline_example_runs(one_thread, capsys):
    section = README.read_text().split("### Images in your own pipeline", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    exec(compile(code, "README.md", "exec"), {})
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "(1830, 8, 8) uint8 [183 183 183 183 183 183 183 183 183 183]"
    assert out[1].startswith("torch.Size([64, 1, 8, 8])")


def _example(heading: str) -> str:
    section = README.read_text().split(heading, 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


@pytest.mark.usefixtures("prefect_harness", "one_thread")
def test_your_own_prefect_flow_example_runs(mlflow_tmp, tmp_path, capsys):
    """A user's flow hands its own DataFrame to `evaluate_arms`, `fit_generator` and `balance`
    and reads the best arm's classifier back; the frame is untouched, the balanced file holds
    the real rows first with the labels as written."""
    import mlflow
    import pandas as pd

    space: dict = {}
    exec(compile(_example("### Your own Prefect flow"), "README.md", "exec"), space)
    frame, result, balanced = space["frame"], space["result"], space["balanced"]
    client = mlflow.MlflowClient(mlflow_tmp)
    assert client.get_run(result["mlflow_run_id"]).info.status == "FINISHED"
    assert result["verdict"]["best"] in ("baseline", "gan", "smote")
    assert result["classifier_uri"] and result["generator_uri"]
    counts = frame["target"].value_counts()
    assert balanced["rows_added"] == {
        str(c): int(counts.max() - n) for c, n in counts.items() if n < counts.max()
    }
    out = pd.read_csv(tmp_path / "balanced.csv")
    assert out["target"].value_counts().nunique() == 1  # every class at the majority count
    assert out["is_synthetic"].tolist() == [False] * len(frame) + [True] * (len(out) - len(frame))
    real = out.head(len(frame)).drop(columns="is_synthetic")
    pd.testing.assert_frame_equal(real, frame.reset_index(drop=True), check_dtype=False)
    printed = capsys.readouterr().out.splitlines()
    assert printed[0].startswith(result["verdict"]["best"])
    assert set(ast.literal_eval(printed[1])) <= {"0", "1", "2"}  # the class names


def test_readme_sample_output_is_the_committed_real_run():
    """The README's sample block is `comparison_table` of docs/default_run.json, a real default
    run's summary (benchmarks/readme_sample.py writes both): hand edits fail here."""
    import json

    from augment.table import comparison_table

    summary = json.loads((README.parent / "docs" / "default_run.json").read_text())
    assert summary["dataset"] == "builtin:digits" and summary["seeds"] == 5
    block = README.read_text().split("<!-- default-run:start -->", 1)[1]
    block = block.split("<!-- default-run:end -->", 1)[0]
    assert block.strip() == f"```\n{comparison_table(summary)}\n```"
