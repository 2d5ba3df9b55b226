"""The house rules, checked on the source: the plugin boundary is sealed, the core has no
import circle.

Every import statement counts — at module level, inside functions and under
``TYPE_CHECKING`` — because each one is a dependency a reader must follow.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORE = ROOT / "src" / "mailplug"
PLUGINS = ROOT / "plugins"
#: What a plugin may import of mailplug: the host API and the plugin author's module.
PLUGIN_API = {"mailplug", "mailplug.plugin"}


def _module_name(path: Path, base: Path) -> str:
    parts = list(path.relative_to(base).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path, module: str) -> Iterator[tuple[str, int]]:
    """Every module ``path`` imports (absolute names), with the line: all imports count.

    ``from pkg import name`` names ``pkg.name`` when that is a module (``from . import
    keys``), else ``pkg`` itself (``from mailplug import Message``).
    """
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            for alias in node.names:
                submodule = f"{target}.{alias.name}"
                yield (submodule if submodule in _ALL_MODULES else target), node.lineno


def _sources(base: Path) -> dict[str, Path]:
    return {_module_name(p, base): p for p in sorted(base.rglob("*.py"))}


_ALL_MODULES = {*_sources(CORE.parent), *_sources(PLUGINS)}


def test_the_core_imports_no_plugin() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{line} imports {target}"
        for module, path in _sources(CORE.parent).items()
        for target, line in _imports(path, module)
        if target.split(".")[0].startswith("mailplug_")
    ]
    assert not found, "the core must reach plugins only through hooks:\n" + "\n".join(found)


def test_builtin_plugins_import_only_the_plugin_api() -> None:
    plugin_packages = {p.name for p in PLUGINS.iterdir() if p.is_dir() and p.name[0] != "_"}
    assert {"mailplug_smtp", "mailplug_sqlite", "mailplug_oauth"} <= plugin_packages
    found = []
    for module, path in _sources(PLUGINS).items():
        own = module.split(".")[0]
        core_modules = _sources(CORE.parent)
        for target, line in _imports(path, module):
            top = target.split(".")[0]
            if top == "mailplug" and target not in PLUGIN_API and target in core_modules:
                found.append(f"{path.relative_to(ROOT)}:{line} imports {target}")
            elif top.startswith("mailplug_") and top != own:
                found.append(f"{path.relative_to(ROOT)}:{line} imports another plugin: {target}")
    assert not found, (
        "a built-in plugin imports only `mailplug` and `mailplug.plugin`:\n" + "\n".join(found)
    )


def _graph(base: Path, package: str) -> dict[str, set[str]]:
    sources = {m: p for m, p in _sources(base).items() if m.split(".")[0] == package}
    graph: dict[str, set[str]] = {m: set() for m in sources}
    for module, path in sources.items():
        for target, _ in _imports(path, module):
            if target in sources and target != module:
                graph[module].add(target)
    return graph


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for succ in graph[node]:
            if succ not in index:
                visit(succ)
                low[node] = min(low[node], low[succ])
            elif succ in on_stack:
                low[node] = min(low[node], index[succ])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return out


def test_the_core_has_no_import_circle() -> None:
    circles = _circles(_graph(CORE.parent, "mailplug"))
    assert not circles, "import circles in src/mailplug:\n" + "\n".join(map(str, circles))


@pytest.mark.parametrize(
    "package", sorted(p.name for p in PLUGINS.iterdir() if p.is_dir() and p.name[0] != "_")
)
def test_no_plugin_has_an_import_circle(package: str) -> None:
    circles = _circles(_graph(PLUGINS, package))
    assert not circles, f"import circles in plugins/{package}:\n" + "\n".join(map(str, circles))


def test_the_circle_finder_finds_a_circle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _circles(graph) == [["a", "b", "c"]]
