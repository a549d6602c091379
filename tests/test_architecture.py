"""The package layout: arrows between stages run one way, and no module imports itself back.

Imports are read from the source (every ``import``, including those deferred into
functions), so a cycle that only shows when a function runs is caught too.
Imports under ``if TYPE_CHECKING:`` count for the layers, not for the cycles.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

import copygen

PACKAGE = Path(copygen.__file__).resolve().parent

#: Lowest first. A module may import from its own group and from groups before it.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("errors", "config", "platforms", "resources", "terminal", "files", "testing", "ids"),
    ("inputs",),
    ("compliance",),
    ("writing",),
    ("backends",),
    ("judge",),
    ("audit",),
    ("generate",),
    ("batch",),
    ("review",),
    ("compare",),
    ("serve",),
    ("cli", "__main__"),
)
LAYER_OF = {name: index for index, group in enumerate(LAYERS) for name in group}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(module: str) -> Iterator[tuple[str, int, bool]]:
    """(imported copygen module, line, only for type checking) for each import."""
    path = MODULES[module]
    is_package = path.name == "__init__.py"
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.body:
                typing_only.update(id(n) for n in ast.walk(child))
    for node in ast.walk(tree):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base if is_package else base[:-1]
                base = base[: len(base) - node.level + 1]
                origin = ".".join([*base, *([node.module] if node.module else [])])
            else:
                origin = node.module or ""
            # ``from copygen.x import y`` imports the submodule copygen.x.y when there is one.
            targets = [
                f"{origin}.{alias.name}" if f"{origin}.{alias.name}" in MODULES else origin
                for alias in node.names
            ]
        for target in targets:
            if target.split(".")[0] == "copygen":
                while target not in MODULES:
                    target = target.rsplit(".", 1)[0]
                yield target, node.lineno, id(node) in typing_only


def _group(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None  # None: the root package


def test_every_top_level_name_has_a_layer() -> None:
    groups = {_group(m) for m in MODULES} - {None}
    assert groups <= set(LAYER_OF), f"place these in LAYERS: {sorted(groups - set(LAYER_OF))}"


def test_arrows_between_stages_run_one_way() -> None:
    wrong: list[str] = []
    for module in MODULES:
        group = _group(module)
        for target, line, _ in _imports(module):
            target_group = _group(target)
            if group is None or target_group is None:
                continue  # the root package: __version__ and the lazy public API
            if LAYER_OF[target_group] > LAYER_OF[group]:
                wrong.append(f"{MODULES[module].relative_to(PACKAGE.parent)}:{line} {target}")
    assert not wrong, "imports against the flow:\n" + "\n".join(wrong)


def test_no_import_cycles() -> None:
    graph = {
        module: {t for t, _, typing_only in _imports(module) if not typing_only and t != module}
        for module in MODULES
    }
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1 on the stack, 2 done
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append([*stack[stack.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module)
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


@pytest.mark.parametrize("name", ["Checker", "check", "CheckResult", "Finding", "Settings"])
def test_public_api_stays(name: str) -> None:
    assert getattr(copygen, name) is not None


def test_package_entry_points_are_re_exported() -> None:
    from copygen.generate import ResultStore, RunSummary, generate

    assert callable(generate) and ResultStore and RunSummary
