"""Cache keys: every input that shapes a cached result changes its key, nothing else does.

The GAN key is checked over every field of `GANConfig` and `DataConfig` (iterated, so a field
added later is covered); the arm x seed key through the flow's own `run_arms` with a real
Prefect API, by which results it recomputes and which it replays.
"""

from __future__ import annotations

import pytest
from _values import another_value

from augment.cache import eval_cache_key, gan_cache_key
from augment.config import DataConfig, GANConfig, build_config

HASH = "0" * 64

# DataConfig fields that only say where the data is: the content hash already pins the data
DATA_LOCATION = {"source", "label"}
# GANConfig fields that do not shape one fitted generator: gan.seeds is how many generators a
# run fits, each cached under its own key (gan.seed + i), so K + 1 reuses the first K
NOT_IN_GAN_KEY = {"n_generators"}


def _changed(model, name: str):
    field = type(model).model_fields[name]
    return model.model_copy(update={name: another_value(getattr(model, name), field.annotation)})


def test_gan_key_is_stable_for_equal_inputs():
    key = gan_cache_key(HASH, DataConfig(), GANConfig())
    assert key == gan_cache_key(HASH, DataConfig(), GANConfig())
    assert key.startswith("gan-")


SECTIONS = ("tabular", "image")  # the model knobs, one nested section per data kind
GAN_FIELDS = [n for n in GANConfig.model_fields if n not in SECTIONS] + [
    f"{s}.{n}" for s in SECTIONS for n in GANConfig.model_fields[s].annotation.model_fields
]


def _changed_gan(name: str) -> GANConfig:
    if "." not in name:
        return _changed(GANConfig(), name)
    section, knob = name.split(".")
    return GANConfig().model_copy(update={section: _changed(getattr(GANConfig(), section), knob)})


@pytest.mark.parametrize("name", sorted(GAN_FIELDS))
def test_every_gan_field_changes_the_gan_key(name):
    # the README: "different data, a different --epochs or any other gan: change trains again"
    base = gan_cache_key(HASH, DataConfig(), GANConfig())
    key = gan_cache_key(HASH, DataConfig(), _changed_gan(name))
    assert (key == base) == (name in NOT_IN_GAN_KEY)


@pytest.mark.parametrize("name", sorted(DataConfig.model_fields))
def test_split_fields_change_the_gan_key_location_fields_do_not(name):
    base = gan_cache_key(HASH, DataConfig(), GANConfig())
    key = gan_cache_key(HASH, _changed(DataConfig(), name), GANConfig())
    assert (key == base) == (name in DATA_LOCATION)


def test_data_content_changes_the_gan_key():
    assert gan_cache_key("1" * 64, DataConfig(), GANConfig()) != gan_cache_key(
        HASH, DataConfig(), GANConfig()
    )


EVAL_PARTS = {
    "arm": "gan",
    "seed": 0,
    "classifier": "random_forest",
    "plan": {"0": 3, "1": 0},
    "augmentations": None,
}
OTHER = {
    "arm": "smote",
    "seed": 1,
    "classifier": "logistic_regression",
    "plan": {"0": 4, "1": 0},
    "augmentations": [{"name": "GaussNoise", "p": 0.3}],
}


def test_eval_key_changes_with_each_part_and_the_gan_key():
    base = eval_cache_key("gan-a", **EVAL_PARTS)
    assert base.startswith("eval-")  # the flow and the cache tests find results by it
    assert base == eval_cache_key("gan-a", **dict(reversed(EVAL_PARTS.items())))
    assert eval_cache_key("gan-b", **EVAL_PARTS) != base
    for name, value in OTHER.items():
        assert eval_cache_key("gan-a", **{**EVAL_PARTS, name: value}) != base, name
    assert eval_cache_key("gan-a", quality="random_forest") != eval_cache_key(
        "gan-a", quality="logistic_regression"
    )


@pytest.fixture(scope="module")
def wine_plan():
    from augment.balance import balance_plan
    from augment.experiment import prepare

    _, splits = prepare(DataConfig(source="builtin:wine"))
    return splits, balance_plan(splits.train.y, "auto")


@pytest.mark.usefixtures("prefect_harness")
def test_flow_arm_seed_keys_recompute_on_each_input_and_replay_otherwise(tmp_path, wine_plan):
    """The flow's arm x seed tasks: a changed classifier, augmentation pipeline, plan, seed or
    arm computes anew; more seeds, more arms or other orchestration settings replay the rest."""
    from augment.experiment.preflight import GeneratorSpec, Prepared
    from flows.evaluation import run_arms
    from flows.runners import make_task_runner

    splits, plan = wine_plan
    results = tmp_path / "cache" / "results"
    base = {
        "data": {"source": "builtin:wine"},
        "classifier": "logistic_regression",
        "seeds": 1,
        "orchestration": {"cache_dir": str(tmp_path / "cache")},
    }

    def new_results(arms=("baseline",), plan=plan, **changes) -> set[str]:
        before = {p.name for p in results.glob("eval-*")}
        cfg = build_config({**base, **changes})
        gens = [GeneratorSpec(0, cfg.gan, "gan-test", "gan_", tmp_path / "m.pt")]
        prepared = Prepared(cfg, None, splits, list(arms), {}, plan, "data", "test", gens, results)
        with make_task_runner(cfg.orchestration) as runner:
            run_arms(runner, prepared, [])
        return {p.name for p in results.glob("eval-*")} - before

    assert len(new_results()) == 1  # baseline, seed 0
    assert new_results() == set()  # the same again: replayed
    assert len(new_results(classifier="random_forest")) == 1
    assert len(new_results(augmentations=[{"name": "GaussNoise", "p": 0.3}])) == 1
    assert len(new_results(plan={c: n + 1 for c, n in plan.items()})) == 1
    assert len(new_results(seeds=2)) == 1  # seed 1 is new, seed 0 replayed
    assert len(new_results(arms=("baseline", "random_oversample"))) == 1  # only the new arm
    assert new_results(orchestration={**base["orchestration"], "max_workers": 1}) == set()


def test_cache_paths_are_absolute_named_by_key_and_created_only_on_write(tmp_path, monkeypatch):
    from augment.cache import (
        cache_paths,
        code_version,
        eval_code_version,
        read_cached,
        write_cached,
    )

    monkeypatch.chdir(tmp_path)
    results, model = cache_paths("rel/cache", "gan-abc")
    assert results == tmp_path / "rel" / "cache" / "results"
    assert model == tmp_path / "rel" / "cache" / "models" / "gan-abc.pt"
    assert not (tmp_path / "rel").exists()  # computing paths writes nothing (preflight)
    write_cached(results, "eval-x", {"metrics": {"a": 1.0}})
    assert read_cached(results, "eval-x") == {"metrics": {"a": 1.0}, "key": "eval-x"}
    # the code versions: short hex digests; the evaluation's covers more files than the GAN's
    assert len(code_version()) == len(eval_code_version()) == 16
    assert code_version() != eval_code_version()
    int(code_version(), 16), int(eval_code_version(), 16)


def test_gan_code_version_covers_what_the_fit_imports():
    """The GAN cache key hashes the fit's import closure, not a hand-kept list: the modules
    the issue found missing are in it, and so is every augment module a process that fits a
    GAN has actually imported; the CLI, tracking and the flows are not."""
    from pathlib import Path

    import augment
    from augment.cache import _FIT_ROOTS, import_closure

    root = Path(augment.__file__).parent
    hashed = {f.relative_to(root).as_posix() for f in import_closure(*_FIT_ROOTS)}
    assert {"torchutil.py", "gan/features.py", "experiment/gan_fit.py", "gan/image.py"} <= hashed
    assert not {f for f in hashed if f.startswith(("cli/", "tracking/"))}
    # of the run's steps only the fit (and the package's lazy __init__) shapes a fitted GAN
    assert {f for f in hashed if f.startswith("experiment/")} == {
        "experiment/__init__.py",
        "experiment/gan_fit.py",
    }
    script = (
        "import sys\n"
        "from augment.config import GANConfig\n"
        "from augment.experiment.gan_fit import fit_generator\n"
        "from augment.data import load_dataset, make_splits\n"
        "splits = make_splits(load_dataset('builtin:wine'), 0.3, 0, None, 0.2)\n"
        "fit_generator(splits.train, GANConfig(epochs=1), progress=False)\n"
        "print('\\n'.join(m for m in sys.modules if m.startswith('augment.')))\n"
    )
    imported = _augment_files_loaded_by(script)
    assert imported and imported <= hashed, imported - hashed


def test_eval_code_version_covers_what_an_evaluation_imports():
    """The evaluation key hashes the import closure of the arms (each arm module, loaded by
    name) and of the quality metrics: the generation and quality code, missing from the old
    hand-kept list, are in it, and so is every augment module that importing the arms and
    running one loads; the CLI, tracking and the flows are not."""
    from pathlib import Path

    import augment
    from augment.cache import eval_modules, import_closure

    root = Path(augment.__file__).parent
    hashed = {f.relative_to(root).as_posix() for f in import_closure(*eval_modules())}
    assert {"experiment/generation.py", "experiment/quality.py", "arms/smote.py"} <= hashed
    assert {f"arms/{f.name}" for f in (root / "arms").glob("*.py")} <= hashed
    assert not {f for f in hashed if f.startswith(("cli/", "tracking/"))}
    script = (
        "import sys\n"
        "from augment.arms import run_arm\n"
        "from augment.experiment.quality import synthetic_quality\n"
        "from augment.data import load_dataset, make_splits\n"
        "from augment.balance import balance_plan\n"
        "splits = make_splits(load_dataset('builtin:wine'), 0.3, 0, None, 0.2)\n"
        "run_arm('smote', splits, balance_plan(splits.train.y, 'auto'), [0], 'auto')\n"
        "print('\\n'.join(m for m in sys.modules if m.startswith('augment.')))\n"
    )
    imported = _augment_files_loaded_by(script)
    assert imported and imported <= hashed, imported - hashed


def _augment_files_loaded_by(script: str) -> set[str]:
    """The augment source files (relative to the package) that running ``script`` in a fresh
    interpreter imports; the script prints the augment modules of ``sys.modules``."""
    import subprocess
    import sys
    from pathlib import Path

    import augment

    root = Path(augment.__file__).parent
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout.split()
    imported = set()
    for name in out:
        rel = Path(*name.split(".")[1:])
        for candidate in (rel.with_suffix(".py"), rel / "__init__.py"):
            if (root / candidate).is_file():
                imported.add(candidate.as_posix())
    return imported
