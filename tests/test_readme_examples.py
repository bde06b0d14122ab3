"""The README's runnable image example runs as written (so it cannot drift from the code)."""

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_images_in_your_own_pipeline_example_runs(one_thread, capsys):
    section = README.read_text().split("### Images in your own pipeline", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    exec(compile(code, "README.md", "exec"), {})
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "(1830, 8, 8) uint8 [183 183 183 183 183 183 183 183 183 183]"
    assert out[1].startswith("torch.Size([64, 1, 8, 8])")


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
