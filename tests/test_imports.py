"""The import graph: no circles, and Prefect / MLflow only where they belong (issue 10).

Read statically from the source (every import statement, also those inside functions), so a
lazy import cannot hide a circle.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _modules() -> dict[str, Path]:
    out = {}
    for f in sorted([*ROOT.glob("augment/**/*.py"), *ROOT.glob("flows/**/*.py")]):
        parts = f.relative_to(ROOT).with_suffix("").parts
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = f
    return out


def _imports(name: str, path: Path) -> set[str]:
    """Every module name this file imports (absolute, relative resolved)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
                package = package[: len(package) - node.level + 1]
                base = ".".join([*package, *([node.module] if node.module else [])])
            found |= {base} | {f"{base}.{a.name}" for a in node.names}
    return found


def _graph() -> dict[str, set[str]]:
    mods = _modules()
    return {m: (_imports(m, f) & mods.keys()) - {m} for m, f in mods.items()}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(m: str) -> list[str] | None:
        state[m] = 1
        path.append(m)
        for d in sorted(graph[m]):
            if state.get(d) == 1:
                return path[path.index(d) :] + [d]
            if d not in state and (found := visit(d)):
                return found
        state[m] = 2
        path.pop()
        return None

    for m in sorted(graph):
        if m not in state and (found := visit(m)):
            return found
    return None


def test_the_graph_is_read():
    graph = _graph()
    assert "augment.gan.image" in graph["augment.gan"]  # the package imports its models
    assert "augment.torchutil" in graph["augment.cnn"]
    assert "augment.experiment.preflight" in graph["flows.augmentation"]


def test_no_import_circles():
    assert _cycle(_graph()) is None, " -> ".join(_cycle(_graph()))


def test_cycle_finder_finds_a_circle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_prefect_and_mlflow_stay_in_their_places():
    offenders = []
    for name, path in _modules().items():
        third = {i.split(".")[0] for i in _imports(name, path)} & {"prefect", "mlflow"}
        if name.startswith("flows"):
            third -= {"prefect"}
        if name == "augment.tracking" or name.startswith("augment.tracking."):
            third = set()
        offenders += [f"{name} imports {t}" for t in sorted(third)]
    assert not offenders, offenders


# the CLI reaches the flow through these names only (`augment run` through `flows.local`;
# `augment serve` deploys the flow itself); everything else crosses as parameters
CLI_DOORS = {
    "flows.local",
    "flows.local.LocalSession",
    "flows.augmentation",
    "flows.augmentation.augmentation_flow",
    "flows.schedule",
    "flows.schedule.check_cron",
    "flows.server",
    "flows.server.configured",
}


def _source(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"))


def test_no_context_variable_or_global_statement_carries_state():
    """No ContextVar or `global` statement anywhere in the library or the flows: what the CLI
    hands the flow, and what comes back, are parameters and return values (or `RunFailed`)."""
    offenders = []
    for name, path in _modules().items():
        for node in ast.walk(_source(path)):
            if isinstance(node, ast.Global):
                offenders.append(f"{name}: global {', '.join(node.names)}")
            elif isinstance(node, ast.Name) and node.id == "ContextVar":
                offenders.append(f"{name}: ContextVar")
            elif isinstance(node, ast.Attribute) and node.attr == "ContextVar":
                offenders.append(f"{name}: contextvars.ContextVar")
        imports = _imports(name, path)
        if "contextvars" in imports:
            offenders.append(f"{name} imports contextvars")
    assert not offenders, offenders


def test_the_cli_enters_the_flows_through_named_doors():
    offenders = []
    for name, path in _modules().items():
        if not name.startswith("augment.cli"):
            continue
        flows = {i for i in _imports(name, path) if i == "flows" or i.startswith("flows.")}
        offenders += [f"{name} imports {i}" for i in sorted(flows - CLI_DOORS)]
    assert not offenders, offenders
    assert not [
        n
        for n in _modules()
        if n.startswith("flows") and "augment.cli" in str(_imports(n, _modules()[n]))
    ]


# the downstream side: the classifiers, the arms and the metrics computed on them (issue 28)
DOWNSTREAM = ("augment.cnn", "augment.classify", "augment.arms", "augment.imagemetrics")


def _reaches(graph: dict[str, set[str]], start: str) -> set[str]:
    """Every module ``start`` imports, directly or through others."""
    seen, todo = set(), [start]
    while todo:
        for d in graph[todo.pop()] - seen:
            seen.add(d)
            todo.append(d)
    return seen


def test_the_gan_does_not_import_the_downstream_classifier():
    """The GAN (and so its cache key, the fit's import closure) does not depend on the code
    that evaluates it: no module under augment/gan/ imports the downstream classifier, arms
    or image metrics, directly or through another module."""
    graph = _graph()
    gan = [m for m in graph if m == "augment.gan" or m.startswith("augment.gan.")]
    assert "augment.gan.image_monitor" in gan and "augment.gan.features" in gan
    offenders = [
        f"{m} reaches {d}"
        for m in sorted(gan)
        for d in sorted(_reaches(graph, m))
        if d in DOWNSTREAM or d.startswith(tuple(f"{p}." for p in DOWNSTREAM))
    ]
    assert not offenders, offenders
    # the check can see: the run's quality step does reach them
    assert "augment.imagemetrics" in _reaches(graph, "augment.experiment.quality")


def test_the_gan_and_its_fit_do_not_import_the_experiment():
    """The run's steps sit on the GAN, never under it: no module under augment/gan/ reaches
    `augment.experiment`, and the fit (a root of the GAN cache key) reaches none of the other
    steps, so changing them keeps the cached GANs."""
    graph = _graph()
    gan = [m for m in graph if m == "augment.gan" or m.startswith("augment.gan.")]
    offenders = [
        f"{m} reaches {d}"
        for m in sorted(gan)
        for d in sorted(_reaches(graph, m))
        if d == "augment.experiment" or d.startswith("augment.experiment.")
    ]
    assert not offenders, offenders
    fit = _reaches(graph, "augment.experiment.gan_fit")
    assert "augment.gan" in fit  # the check can see
    assert not {d for d in fit if d.startswith("augment.experiment")}, fit
