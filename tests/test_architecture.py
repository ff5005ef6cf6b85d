"""The shape of the code: which package imports which, and how long a function may be.

Read from the source with ``ast`` (imports inside functions count too: a lazy import
is still a dependency)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = {"model": "paraspec.model", "properties": "paraspec.properties", "checker": "paraspec.checker",
            "spec": "paraspec.spec"}
#: the longest a function in checker/ may be (lines from ``def`` to its last line)
MAX_FUNCTION_LINES = 80


def _modules(folder: str) -> dict[str, Path]:
    out = {}
    for f in sorted((ROOT / folder).rglob("*.py")):
        rel = f.relative_to(ROOT / folder).with_suffix("")
        parts = [p for p in rel.parts if p != "__init__"]
        out[".".join([PACKAGES[folder], *parts])] = f
    return out


def _imports(module: str, path: Path) -> set[str]:
    """The modules ``module`` imports (absolute names; ``from X import y`` counts X.y when
    that is a module, else X)."""
    is_pkg = path.name == "__init__.py"
    package = module if is_pkg else module.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            out.add(target)
            out.update(f"{target}.{a.name}" for a in node.names)
    return out


def import_graph(folder: str = "checker") -> dict[str, set[str]]:
    mods = _modules(folder)
    return {m: {t for t in _imports(m, p) if t in mods and t != m} for m, p in mods.items()}


def cycles(graph: dict[str, set[str]]) -> list[set[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[set[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = set()
            while True:
                w = stack.pop()
                on.discard(w)
                comp.add(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(comp)

    for v in graph:
        if v not in index:
            visit(v)
    return out


def test_cycle_detection_sees_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [{"a", "b", "c"}]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_the_engines_do_not_import_each_other_in_a_circle():
    graph = import_graph("checker")
    engines = {f"paraspec.checker.{n}" for n in ("explicit", "parallel", "vector")}
    assert engines <= graph.keys()
    tangled = [c for c in cycles(graph) if c & engines]
    assert tangled == [], f"import cycles through the engines: {tangled}"
    # the engines share the results and the exploration core, not each other's modules
    assert "paraspec.checker.explicit" not in graph["paraspec.checker.vector"]
    assert "paraspec.checker.explicit" not in graph["paraspec.checker.parallel"]


def test_model_and_properties_import_nothing_from_the_checker():
    bad = []
    for folder in ("model", "properties"):
        for m, p in _modules(folder).items():
            bad += [f"{m} imports {t}" for t in _imports(m, p) if t.startswith("paraspec.checker")]
    assert bad == []


def test_no_function_in_the_checker_is_longer_than_80_lines():
    long = []
    for f in sorted((ROOT / "checker").rglob("*.py")):
        for node in ast.walk(ast.parse(f.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                n = node.end_lineno - node.lineno + 1
                if n > MAX_FUNCTION_LINES:
                    long.append(f"{f.relative_to(ROOT)}:{node.lineno} {node.name} ({n} lines)")
    assert long == [], "functions longer than 80 lines:\n" + "\n".join(long)
