"""The import graph: layers that only point down, no package cycle, a pure core free of I/O libraries.

Every ``import`` counts, the ones inside functions too: a lazy import is still a dependency.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "nlu", "knowledge", "ledger", "reminders")

# Components, most specific prefix first, with their layer: a module may import its own component and
# the components of lower layers only.
LAYERS: tuple[tuple[str, int], ...] = (
    ("bot.kernel", 0),
    ("knowledge", 1),
    ("nlu", 2),
    ("ledger", 3),
    ("reminders", 4),
    ("bot.dialogue", 5),
    ("bot.channels", 6),
    ("bot", 7),  # the HTTP app, the composition root and the command line
)

# The pure core loads no I/O library; scikit-learn is for training only.
PURE = ("bot.kernel", "knowledge", "nlu", "reminders.policy", "reminders.templates", "bot.dialogue.brain")
IO_LIBRARIES = ("aiohttp", "telegram", "sqlalchemy", "apscheduler", "psycopg", "alembic")
TRAINING_ONLY = {"sklearn": ("nlu.train",)}


def component(module: str) -> str | None:
    """The component a dotted module name belongs to (None outside our packages)."""
    for prefix, _ in LAYERS:
        if module == prefix or module.startswith(prefix + "."):
            return prefix
    return None


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Every module ``path`` imports, absolute names (relative imports resolved)."""
    found: set[str] = set()
    package = module_name(path).rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join([*parts[: len(parts) - node.level + 1], base]).strip(".")
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def source_modules() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            graph[module_name(path)] = imports_of(path)
    return graph


def crossings(graph: Mapping[str, Iterable[str]]) -> Iterator[tuple[str, str, str, str]]:
    """Each import from one of our components into another: (module, target, its component, the target's)."""
    for module, targets in graph.items():
        own = component(module)
        if own is None:
            continue
        for target in targets:
            other = component(target)
            if other is not None and other != own:
                yield module, target, own, other


def layer_violations(graph: Mapping[str, Iterable[str]]) -> list[str]:
    """Each import that points up or sideways between components, as ``a -> b``."""
    rank = dict(LAYERS)
    return sorted(
        f"{module} -> {target} ({own} may not import {other})"
        for module, target, own, other in crossings(graph)
        if rank[other] >= rank[own]
    )


def component_cycles(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """The cycles between components (strongly connected groups of more than one)."""
    edges: dict[str, set[str]] = {}
    for _, _, own, other in crossings(graph):
        edges.setdefault(own, set()).add(other)
    cycles, seen = [], set()
    for start in sorted(edges):
        if start in seen:
            continue
        reach = _reachable(edges, start)
        group = sorted(node for node in reach if start in _reachable(edges, node))
        if len(group) > 1:
            cycles.append(group)
            seen.update(group)
    return cycles


def _reachable(edges: Mapping[str, set[str]], start: str) -> set[str]:
    todo, out = [start], set()
    while todo:
        for nxt in edges.get(todo.pop(), ()):
            if nxt not in out:
                out.add(nxt)
                todo.append(nxt)
    return out


def test_layers_only_point_down() -> None:
    assert layer_violations(source_modules()) == []


def test_no_cycle_between_packages() -> None:
    assert component_cycles(source_modules()) == []


def test_the_pure_core_imports_no_io_library() -> None:
    problems = []
    for module, targets in source_modules().items():
        if not any(module == p or module.startswith(p + ".") for p in PURE):
            continue
        for target in targets:
            top = target.split(".")[0]
            allowed = TRAINING_ONLY.get(top)
            if top in IO_LIBRARIES or (allowed is not None and module not in allowed):
                problems.append(f"{module} imports {target}")
    assert problems == []


def test_the_kernel_imports_nothing_of_ours() -> None:
    ours = [
        f"{module} -> {target}"
        for module, targets in source_modules().items()
        if component(module) == "bot.kernel"
        for target in targets
        if component(target) not in (None, "bot.kernel")
    ]
    assert ours == []


def test_the_checks_catch_a_cycle_and_an_upward_import() -> None:
    graph = {"ledger.store": {"bot.dialogue.brain"}, "bot.dialogue.brain": {"ledger.store"}}
    assert layer_violations(graph) == [
        "ledger.store -> bot.dialogue.brain (ledger may not import bot.dialogue)"
    ]
    assert component_cycles(graph) == [["bot.dialogue", "ledger"]]


def test_no_module_is_over_400_lines() -> None:
    long = {
        str(path.relative_to(ROOT)): n
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > 400
    }
    assert long == {}
