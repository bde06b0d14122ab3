"""What makes a fitted GAN reusable: a cache key over (data, split, GAN config, code version).

The fitted GAN lives under ``orchestration.cache_dir`` as ``models/<key>.pt`` (weights-only,
`augment.gan.persist`), so tasks pass a path, never a live model; evaluations are cached as
plain JSON ``results/<key>.json``. Prefect's own result persistence is not used: its records
are pickles by default, and a planted one would run code on the next run.
"""

from __future__ import annotations

import ast
import hashlib
import json
import logging
from functools import lru_cache
from pathlib import Path

import augment
from augment.atomic import atomic_write
from augment.config import DataConfig, GANConfig

log = logging.getLogger(__name__)

# what a fitted GAN depends on: the fit (and every augment module it imports) and the data layer
_FIT_ROOTS = ("augment.experiment.gan_fit", "augment.data", "augment.config")


def _module_file(root: Path, name: str) -> Path | None:
    """The source file of augment module ``name`` (a module or a package's __init__)."""
    rel = Path(*name.split(".")[1:])
    for candidate in (root / rel.with_suffix(".py"), root / rel / "__init__.py"):
        if rel.parts and candidate.is_file():
            return candidate
    return None


def import_closure(*modules: str) -> list[Path]:
    """The source files of ``modules`` and of every augment module they import, directly or
    through others, at the top or inside functions (read from the source, not executed); the
    package's own ``augment/__init__.py`` (re-exports only) is not followed."""
    root = Path(augment.__file__).parent
    todo, seen = list(modules), set()
    while todo:
        name = todo.pop()
        parent = name.rsplit(".", 1)[0]
        if parent != "augment":  # importing a.b runs a/__init__.py first
            todo.append(parent)
        path = _module_file(root, name)
        if path is None or path in seen:
            continue
        seen.add(path)
        package = ".".join(("augment", *path.relative_to(root).parent.parts))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                todo += [a.name for a in node.names if a.name.startswith("augment.")]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:  # relative: from its package upwards
                    up = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                    base = f"{up}.{base}" if base else up
                if base == "augment" or base.startswith("augment."):
                    todo += [base] + [f"{base}.{a.name}" for a in node.names]
    return sorted(seen)


@lru_cache(maxsize=1)
def code_version() -> str:
    """SHA-256 over the package version and the source files that shape a fitted GAN: the
    import closure of the fit and of the data layer (`import_closure`)."""
    root = Path(augment.__file__).parent
    h = hashlib.sha256(augment.__version__.encode())
    for f in import_closure(*_FIT_ROOTS):
        h.update(f.relative_to(root).as_posix().encode())
        h.update(f.read_bytes())
    return h.hexdigest()[:16]


def gan_cache_key(data_hash: str, data_cfg: DataConfig, gan_cfg: GANConfig) -> str:
    """Key of one fitted GAN: dataset content, how it is split/reduced, the GAN config, code.

    ``gan.seeds`` (how many generators a run fits) is not part of it: generator i is keyed on
    its own ``gan.seed``, so a run with one more generator reuses the others.
    """
    parts = {
        "data": data_hash,
        "split": data_cfg.model_dump(mode="json", exclude={"source", "label"}),
        "gan": gan_cfg.model_dump(mode="json", exclude={"n_generators"}),
        "code": code_version(),
    }
    blob = json.dumps(parts, sort_keys=True).encode()
    return "gan-" + hashlib.sha256(blob).hexdigest()[:32]


# the code an arm's numbers depend on besides the GAN: the arms package (its arm modules are
# loaded by name, which no import statement shows, so each is a root) and the synthetic-quality
# metrics, with everything they import (classifiers, metrics, selection, generation, image
# augmentations): derived, as the GAN's, not a hand-kept list
_EVAL_ROOTS = ("augment.arms", "augment.experiment.quality")


def eval_modules() -> list[str]:
    """The modules whose import closure an evaluation's key hashes."""
    arms = Path(augment.__file__).parent / "arms"
    return [*_EVAL_ROOTS, *(f"augment.arms.{f.stem}" for f in sorted(arms.glob("*.py")))]


@lru_cache(maxsize=1)
def eval_code_version() -> str:
    """SHA-256 over the GAN's code version and the source files that turn a training set into
    downstream metrics (`eval_modules`, with their import closure)."""
    root = Path(augment.__file__).parent
    h = hashlib.sha256(code_version().encode())
    for f in import_closure(*eval_modules()):
        h.update(f.relative_to(root).as_posix().encode())
        h.update(f.read_bytes())
    return h.hexdigest()[:16]


def eval_cache_key(gan_key: str, **parts: object) -> str:
    """Key of a deterministic evaluation (one arm x seed, or the quality metrics).

    ``gan_key`` already pins the data, split, GAN config and GAN code; ``parts`` add what the
    evaluation itself depends on (arm, seed, classifier, plan, augmentations).
    """
    blob = json.dumps({"gan": gan_key, "code": eval_code_version(), **parts}, sort_keys=True)
    return "eval-" + hashlib.sha256(blob.encode()).hexdigest()[:32]


def cache_paths(cache_dir: str | Path, key: str) -> tuple[Path, Path]:
    """``(results dir, model file)`` under the absolute cache dir; nothing is created here
    (`write_cached` and the flow's model save create the folders when they write)."""
    root = Path(cache_dir).expanduser().resolve()
    return root / "results", root / "models" / f"{key}.pt"


def read_cached(results_dir: Path, key: str) -> dict | None:
    """A cached evaluation as plain JSON (``results/<key>.json``), or None when absent/unusable.

    Results are JSON written by `write_cached`, never Prefect's pickled result records: anyone
    who can write the cache folder can at worst change a number, never run code here.
    """
    path = results_dir / f"{key}.json"
    if not path.is_file():
        return None
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as err:
        log.warning("ignoring unreadable cache file %s (%s); computing again", path, err)
        return None
    if not isinstance(value, dict) or value.get("key") != key:
        log.warning("ignoring cache file %s (not an augment result); computing again", path)
        return None
    return value


def write_cached(results_dir: Path, key: str, value: dict) -> None:
    """Store a JSON-able result under ``results/<key>.json`` atomically."""
    text = json.dumps({**value, "key": key}, sort_keys=True)
    results_dir.mkdir(parents=True, exist_ok=True)
    atomic_write(results_dir / f"{key}.json", lambda tmp: tmp.write_text(text, encoding="utf-8"))
