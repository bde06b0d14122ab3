"""`benchmarks/` is a package of thin CLIs outside the wheel (issue 28): each entry point
answers ``python -m benchmarks.X --help``, the library never imports it, and it reaches the
library only through public names (no ``sys.path`` edits, no ``_private`` imports)."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ENTRY_POINTS = sorted(
    p.stem for p in (ROOT / "benchmarks").glob("*.py") if not p.stem.startswith("_")
)


def _imports(path: Path) -> list[tuple[str, str]]:
    """``(module, name)`` of every import in ``path`` (``name`` empty for ``import module``)."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [(a.name, "") for a in node.names]
        elif isinstance(node, ast.ImportFrom) and not node.level:
            out += [(node.module or "", a.name) for a in node.names]
    return out


def test_the_maintained_entry_points_are_there():
    assert {"suite", "tabular", "images", "readme_sample"} <= set(ENTRY_POINTS)


@pytest.mark.parametrize("name", ENTRY_POINTS)
def test_entry_point_help_exits_0(name):
    env = {**os.environ, "AUGMENT_DATA_ROOT": str(ROOT / "no-such-data")}
    done = subprocess.run(
        [sys.executable, "-m", f"benchmarks.{name}", "--help"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage:")


def test_library_and_flows_do_not_import_benchmarks():
    bad = [
        f"{f.relative_to(ROOT)}: {module}"
        for f in sorted([*ROOT.glob("augment/**/*.py"), *ROOT.glob("flows/**/*.py")])
        for module, _ in _imports(f)
        if module == "benchmarks" or module.startswith("benchmarks.")
    ]
    assert not bad


def test_benchmarks_use_no_sys_path_and_no_private_library_names():
    files = sorted((ROOT / "benchmarks").rglob("*.py"))
    assert files
    assert not [str(f.relative_to(ROOT)) for f in files if "sys.path" in f.read_text()]
    private = [
        f"{f.relative_to(ROOT)}: from {module} import {name}"
        for f in files
        for module, name in _imports(f)
        if module.split(".")[0] == "augment"
        and any(part.startswith("_") for part in [*module.split("."), name])
    ]
    assert not private


def test_suite_variant_is_the_gan_sampler_with_those_parameters():
    from augment.exceptions import ConfigError
    from augment.suite import FoldContext
    from benchmarks.suite import variant_arm

    name, arm = variant_arm("typical3=selection=typical,pool=3,class_packs=true")
    assert name == "typical3" and not arm.classical and arm.gan_seeds
    sampler = arm.factory(7, FoldContext(0, 0, [], 2, 10))
    params = sampler.get_params()
    assert (params["selection"], params["pool"], params["class_packs"]) == ("typical", 3, True)
    assert params["random_state"] == 7
    with pytest.raises(ConfigError, match="unknown selection 'nope'; registered: herd"):
        variant_arm("x=selection=nope")
    with pytest.raises(ConfigError, match="unknown parameter.*foo"):
        variant_arm("x=foo=1")
    with pytest.raises(ConfigError, match="expected"):
        variant_arm("x")


def test_a_variant_tuned_with_the_rows_classifier_is_built_per_classifier():
    from sklearn.linear_model import LogisticRegression

    from augment.exceptions import ConfigError
    from augment.suite import FoldContext
    from benchmarks.suite import variant_arm

    name, arm = variant_arm("tuned=tune_estimator=classifier,tune_cv=3")
    assert name == "tuned" and arm.per_classifier and arm.gan_seeds
    clf = LogisticRegression()
    params = arm.factory(7, FoldContext(0, 0, [], 2, 10), classifier=clf).get_params()
    assert params["tune_estimator"] is clf and params["tune_cv"] == 3
    assert not variant_arm("plain=pool=3")[1].per_classifier
    with pytest.raises(ConfigError, match="tune_estimator takes only 'classifier'"):
        variant_arm("x=tune_estimator=logistic")


def test_suite_variant_refuses_a_selector_the_sampler_does_not_take(monkeypatch):
    import augment.selection as selection
    from augment.exceptions import ConfigError
    from benchmarks.suite import variant_arm

    monkeypatch.setattr(selection, "SELECTORS", {**selection.SELECTORS, "mine": object})
    with pytest.raises(ConfigError, match="'mine' is registered, but the sampler takes only herd"):
        variant_arm("m=selection=mine")


def test_suite_names_a_missing_keel_table_in_one_line(tmp_path, capsys):
    from benchmarks.suite import resolve_tables

    with pytest.raises(SystemExit, match=r"table 'balance': .* not found \(pass --data-root"):
        resolve_tables("balance", tmp_path / "keel")
    tables = resolve_tables(None, tmp_path / "keel")  # no KEEL folder: the built-ins run
    assert tables and all(t.startswith("builtin:") for t in tables)
    err = capsys.readouterr().err.strip()
    assert err.startswith("KEEL tables:") and "built-in tables only" in err and "\n" not in err
