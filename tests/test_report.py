"""The HTML report a run writes: self-contained (every image embedded), the table, the verdict,
the config; beside --json, logged to the MLflow run, never over an existing file."""

from __future__ import annotations

import base64
from html.parser import HTMLParser

import pytest

from augment.cli import main


class _Parsed(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.images: list[str] = []
        self.cells: list[str] = []
        self.text: list[str] = []
        self._cell = False

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.images.append(dict(attrs)["src"])
        if tag == "link" or (tag == "script" and dict(attrs).get("src")):
            raise AssertionError(f"external resource: {tag} {attrs}")
        self._cell = tag == "td"

    def handle_data(self, data):
        self.text.append(data)
        if self._cell:
            self.cells.append(data.strip())
            self._cell = False


@pytest.mark.usefixtures("prefect_harness", "one_thread")
def test_run_writes_a_self_contained_report_beside_json(mlflow_tmp, tmp_path, capsys):
    argv = ["run", "--data", "builtin:wine", "--epochs", "2", "--seeds", "2"]
    argv += ["--arms", "baseline,gan,smote,oracle", "--json", str(tmp_path / "out.json")]
    assert main(argv) == 0
    out = capsys.readouterr().out
    page = tmp_path / "out.html"
    assert f"report written to {page}" in out
    parsed = _Parsed()
    parsed.feed(page.read_text(encoding="utf-8"))
    text = " ".join(parsed.text)
    assert {"baseline", "gan", "smote", "oracle"} <= set(parsed.cells)
    assert "verdict:" in text and '"source": "builtin:wine"' in text
    # per-class recall, marginals, both generators' loss curves, a confusion matrix per arm
    assert len(parsed.images) == 4 + 4
    for src in parsed.images:
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
    # the run logged it too; a second run refuses to replace it without --force
    import json

    from mlflow import MlflowClient

    run_id = json.loads((tmp_path / "out.json").read_text())["mlflow_run_id"]
    names = [a.path for a in MlflowClient(mlflow_tmp).list_artifacts(run_id)]
    assert f"{run_id}.html" in names
    before = page.read_bytes()
    assert main([*argv[:-2], "--report", str(page)]) == 2
    assert "--report" in capsys.readouterr().err and page.read_bytes() == before


_ALLOWED_TAGS = {"html", "head", "meta", "title", "style", "body", "h1", "h2", "p", "code"}
_ALLOWED_TAGS |= {"div", "br", "table", "tr", "th", "td", "ul", "li", "pre"}


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)

    def handle_data(self, data):
        self.text.append(data)


def test_every_string_in_the_report_is_escaped(tmp_path):
    from augment.report import render

    bad = "<script>alert(1)</script>"
    summary = {
        "dataset": f"{bad}.csv",
        "n_train": bad,  # every field, even those that are numbers in a real summary
        "n_test": bad,
        "seeds": bad,
        "classifier": bad,
        "gan_epochs": bad,
        "verdict": {"lines": [f"class {bad} gained"]},
        "arms": {bad: {}},
        "delta_vs_baseline": {},
        "gap_recovered": {},
        "gan_seeds": [bad],
        "per_generator": {bad: {"balanced_accuracy": [0.5]}},
        "synthetic_quality": {bad: 0.5},
    }
    config = {"data": {"label": bad}, "sampling_strategy": {bad: 3}}
    page = render(summary, config, tmp_path, f"store {bad}")
    parsed = _Tags()
    parsed.feed(page)
    assert parsed.tags <= _ALLOWED_TAGS, parsed.tags - _ALLOWED_TAGS
    assert "<script" not in page
    assert "".join(parsed.text).count(bad) >= 12  # shown as text, not dropped


def test_the_memorisation_warning_is_in_the_report(tmp_path):
    from augment.report import render

    summary = {
        "dataset": "t.csv",
        "n_train": 10,
        "n_test": 5,
        "seeds": 2,
        "classifier": "random_forest",
        "arms": {},
        "delta_vs_baseline": {},
        "gap_recovered": {},
        "memorisation": {
            "copying": ["rare"],
            "threshold": 0.5,
            "per_class": {
                "rare": {"ratio": 0.12, "exact_copies": 40, "n_synthetic": 50},
                "common": {"ratio": 1.1, "exact_copies": 0, "n_synthetic": 20},
            },
        },
    }
    parsed = _Parsed()
    parsed.feed(render(summary, {}, tmp_path, "store"))
    text = " ".join(parsed.text)
    assert "the generator may be copying its training rows" in text
    assert "'rare'" in text and "0.12" in text and "40 exact copies of 50" in text
    assert "'common'" not in text
    honest = summary | {"memorisation": summary["memorisation"] | {"copying": []}}
    parsed = _Parsed()
    parsed.feed(render(honest, {}, tmp_path, "store"))
    assert "copying" not in " ".join(parsed.text)
